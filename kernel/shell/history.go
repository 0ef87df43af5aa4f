package shell

// historySize is how many entered lines the editor remembers.
const historySize = 32

// history keeps the last entered lines and a browsing position for the
// up and down arrows.
type history struct {
	lines []string // oldest first, at most historySize
	pos   int      // browsing position; len(lines) when not browsing
	draft string   // the line being typed when browsing started
}

// add records an entered line and ends browsing. Empty lines and repeats
// of the newest line are not recorded.
func (h *history) add(line string) {
	if line != "" && (len(h.lines) == 0 || h.lines[len(h.lines)-1] != line) {
		if len(h.lines) == historySize {
			copy(h.lines, h.lines[1:])
			h.lines = h.lines[:historySize-1]
		}
		h.lines = append(h.lines, line)
	}
	h.reset()
}

// reset ends browsing.
func (h *history) reset() {
	h.pos = len(h.lines)
	h.draft = ""
}

// up moves to the previous (older) line. cur is the line currently being
// edited, kept as the draft when browsing starts. It reports false when
// there is nothing older.
func (h *history) up(cur string) (string, bool) {
	if h.pos == 0 {
		return "", false
	}
	if h.pos == len(h.lines) {
		h.draft = cur
	}
	h.pos--
	return h.lines[h.pos], true
}

// down moves to the next (newer) line, ending at the draft. It reports
// false when not browsing.
func (h *history) down() (string, bool) {
	if h.pos >= len(h.lines) {
		return "", false
	}
	h.pos++
	if h.pos == len(h.lines) {
		return h.draft, true
	}
	return h.lines[h.pos], true
}
