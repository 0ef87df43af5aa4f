// trail.go: a counterexample, as SPIN replays it, turned into a timeline.

package model

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"retract/tools/trace/timeline"
)

// StepNs is how long one step of the model lasts on the timeline.
const StepNs = 1000

// stepRe matches the line `spin -p` prints for each statement executed:
// "  42:	proc  2 (fault:1) retract.pml:130 (state 12)	[...]".
var stepRe = regexp.MustCompile(`^\s*(\d+):\s+proc\s+\d+ `)

// Timeline converts the output of `spin -t -p -g -l -DVARIANT retract.pml`
// — the replay of a counterexample — into a timeline. The model's printf
// lines carry it: "@track LANE NAME" declares a lane, "@LANE EVENT..." is
// an event of the timeline format without its time. SPIN prints a
// printf's output just before the line of the step that executed it, so
// each event belongs to the next step line; the steps that print events
// are numbered 1, 2, ... and step k happens at k×StepNs. Flows that the
// trail does not finish are left out.
func Timeline(r io.Reader) (*timeline.Trace, error) {
	var (
		text    strings.Builder
		pending []string // events waiting for their step
		step    = -1     // the last step that printed events
		n       int      // steps with events so far
		tracks  int
		line    int
	)
	text.WriteString(timeline.Header + "\n")
	flush := func(s int) {
		if len(pending) == 0 {
			return
		}
		if s != step {
			n++
			step = s
		}
		for _, ev := range pending {
			fmt.Fprintf(&text, "%d %s\n", n*StepNs, ev)
		}
		pending = pending[:0]
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if m := stepRe.FindStringSubmatch(l); m != nil {
			s, _ := strconv.Atoi(m[1])
			flush(s)
			continue
		}
		if !strings.HasPrefix(l, "@") {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "@track "); ok {
			fmt.Fprintf(&text, "# track %s\n", rest)
			tracks++
			continue
		}
		lane, ev, ok := strings.Cut(l[1:], " ")
		if _, err := strconv.ParseUint(lane, 10, 32); !ok || err != nil {
			return nil, fmt.Errorf("model: line %d of the spin output: %q is not \"@LANE EVENT\"", line, l)
		}
		pending = append(pending, lane+" "+ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("model: reading the spin output: %v", err)
	}
	flush(step + 1)
	if tracks == 0 {
		return nil, errors.New("model: no \"@track\" lines: not the replay of a retract.pml trail (spin -t -p)")
	}
	t, err := timeline.Parse(strings.NewReader(text.String()))
	if err != nil {
		return nil, fmt.Errorf("model: the model printed an event that is not in the timeline format: %v", err)
	}
	dropUnfinishedFlows(t)
	return t, nil
}

// dropUnfinishedFlows removes the flow starts that no finish follows: the
// model starts a flow wherever a violation may later point back to (the
// free, the PMD clear), and a trail shows only the violation it reaches.
func dropUnfinishedFlows(t *timeline.Trace) {
	finished := map[string]bool{}
	for _, a := range t.Arrows() {
		finished[a.ID] = true
	}
	ev := t.Events[:0]
	for _, e := range t.Events {
		if e.Kind != timeline.FlowStart || finished[e.Flow] {
			ev = append(ev, e)
		}
	}
	t.Events = ev
}
