// lanes.go: the plain-text lane view — one column per track, one row per
// moment — for docs and terminals.

package timeline

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// laneCellMax is the widest a column gets; longer cells are cut.
const laneCellMax = 52

// WriteLanes draws t as text: a time column, then one column per track
// in declaration order. Each moment is one row (more lines if a track has
// several events then). In a column, "┌ name" begins a slice, "└ name"
// ends it, "│" marks every slice still open, "name ──→ #id" starts flow
// id and "#id ──→ name" finishes it; instants are their name and
// arguments. Time is shown in the largest unit that keeps it exact.
func (t *Trace) WriteLanes(w io.Writer) error {
	unit, per := exactUnit(t.Events)
	header := append([]string{"time (" + unit + ")"}, trackNames(t)...)
	var table [][]string // rows of cells; cell 0 is the time
	open := map[uint32]int{}
	ev := t.sorted()
	for i := 0; i < len(ev); {
		j := i
		for j < len(ev) && ev[j].TS == ev[i].TS {
			j++
		}
		// This moment's lines per track.
		cells := map[uint32][]string{}
		lines := 1
		for _, e := range ev[i:j] {
			cells[e.Track] = append(cells[e.Track], laneCell(e, open))
			lines = max(lines, len(cells[e.Track]))
		}
		for l := 0; l < lines; l++ {
			row := make([]string, len(header))
			if l == 0 {
				row[0] = fmt.Sprint(ev[i].TS / per)
			}
			for k, tr := range t.Tracks {
				if c := cells[tr.ID]; l < len(c) {
					row[k+1] = c[l]
				} else {
					row[k+1] = bars(open[tr.ID])
				}
			}
			table = append(table, row)
		}
		i = j
	}

	width := make([]int, len(header))
	for c, h := range header {
		width[c] = utf8.RuneCountInString(h)
	}
	for _, row := range table {
		for c, cell := range row {
			width[c] = max(width[c], min(utf8.RuneCountInString(cell), laneCellMax))
		}
	}
	b := bufio.NewWriter(w)
	writeRow := func(row []string) {
		var s strings.Builder
		for c, cell := range row {
			cell = cut(cell, laneCellMax)
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(cell))
			switch {
			case c == 0:
				s.WriteString(pad + cell)
			default:
				s.WriteString(" │ " + cell + pad)
			}
		}
		b.WriteString(strings.TrimRight(s.String(), " ") + "\n")
	}
	writeRow(header)
	var rule strings.Builder
	for c := range header {
		if c > 0 {
			rule.WriteString("─┼─")
		}
		rule.WriteString(strings.Repeat("─", width[c]))
	}
	b.WriteString(rule.String() + "\n")
	for _, row := range table {
		writeRow(row)
	}
	return b.Flush()
}

// laneCell renders one event and updates the track's count of open slices.
func laneCell(e Event, open map[uint32]int) string {
	n := open[e.Track]
	switch e.Kind {
	case Begin:
		open[e.Track]++
		return bars(n) + "┌ " + e.Name + argText(e.Args)
	case End:
		open[e.Track] = max(n-1, 0)
		return bars(n-1) + "└ " + e.Name
	}
	return bars(n) + instantLabel(e, 1<<20)
}

// bars draws n open slices.
func bars(n int) string { return strings.Repeat("│ ", max(n, 0)) }

func trackNames(t *Trace) []string {
	var out []string
	for _, tr := range t.Tracks {
		out = append(out, tr.Name)
	}
	return out
}

// exactUnit picks the largest of s, ms, µs, ns in which every timestamp
// is a whole number.
func exactUnit(ev []Event) (string, uint64) {
	for _, u := range []struct {
		name string
		ns   uint64
	}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}} {
		ok := true
		for _, e := range ev {
			if e.TS%u.ns != 0 {
				ok = false
				break
			}
		}
		if ok && len(ev) > 0 {
			return u.name, u.ns
		}
	}
	return "ns", 1
}
