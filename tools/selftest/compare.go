package selftest

import (
	"fmt"
	"io"
	"strings"
)

// Column is one kernel's run in a side-by-side table.
type Column struct {
	Name   string // e.g. "Linux 6.1", "retract"
	Report Report
	Ran    bool // false: the kernel's run is missing (its cells say "-")
}

// Compare writes one table with a row per set-up step, per case (in the
// order the first column ran them; cases only a later column ran come
// after) and per tear-down step, and a column per kernel with its result;
// a cell is "-" where that kernel did not get to the case. The row's last
// column marks the cases whose results differ ("<>"). Under the table,
// for every row that differs, each kernel's first step that did not pass
// is named, and the last lines are the kernels' summaries.
func Compare(w io.Writer, cols []Column) {
	type row struct {
		id    string
		cells []string
		why   []string // per column: the first step that did not pass
	}
	var rows []*row
	index := map[string]*row{}
	get := func(id string) *row {
		if r, ok := index[id]; ok {
			return r
		}
		r := &row{id: id, cells: make([]string, len(cols)), why: make([]string, len(cols))}
		for i := range r.cells {
			r.cells[i] = "-"
		}
		index[id] = r
		rows = append(rows, r)
		return r
	}
	stepRows := func(prefix string, steps []Step, i int) {
		for _, s := range steps {
			r := get(prefix + s.Name)
			r.cells[i] = s.Result
			if s.Result != ResultOK {
				r.why[i] = s.Result + paren(s.Detail)
			}
		}
	}
	// Rows in order: set-up steps of every column, cases, tear-down.
	for i, c := range cols {
		if c.Ran {
			stepRows("setup: ", c.Report.Setup, i)
		}
	}
	for i, c := range cols {
		if !c.Ran {
			continue
		}
		for j := range c.Report.Cases {
			cs := &c.Report.Cases[j]
			r := get(cs.ID())
			if r.cells[i] != "-" {
				// The same case twice in one run does not happen in 6.1;
				// keep the first.
				continue
			}
			r.cells[i] = cs.Result()
			r.why[i] = firstProblem(cs)
		}
	}
	for i, c := range cols {
		if c.Ran {
			stepRows("teardown: ", c.Report.Teardown, i)
		}
	}

	width := len("case")
	for _, r := range rows {
		width = max(width, len(r.id))
	}
	cw := make([]int, len(cols))
	for i, c := range cols {
		cw[i] = max(len(c.Name), len(ResultIncomplete))
	}
	fmt.Fprintf(w, "%-*s", width, "case")
	for i, c := range cols {
		fmt.Fprintf(w, "  %-*s", cw[i], c.Name)
	}
	fmt.Fprintln(w)
	var differ []*row
	for _, r := range rows {
		line := fmt.Sprintf("%-*s", width, r.id)
		for i, cell := range r.cells {
			line += fmt.Sprintf("  %-*s", cw[i], cell)
		}
		if differs(r.cells) {
			line += "  <>"
			differ = append(differ, r)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	if len(differ) > 0 {
		fmt.Fprintf(w, "\n%d rows differ:\n", len(differ))
		for _, r := range differ {
			fmt.Fprintf(w, "  %s\n", r.id)
			for i, c := range cols {
				why := r.why[i]
				if r.cells[i] == "-" {
					why = "not run"
				} else if why == "" {
					why = r.cells[i]
				}
				fmt.Fprintf(w, "    %-*s  %s\n", cw[i], c.Name+":", why)
			}
		}
	}
	fmt.Fprintln(w)
	for _, c := range cols {
		s := "did not run"
		if c.Ran {
			s = c.Report.Summary()
		}
		fmt.Fprintf(w, "%s: %s\n", c.Name, s)
	}
}

// firstProblem names a case's first step that did not pass, with what
// the test printed after it ("" if every step passed).
func firstProblem(c *Case) string {
	for _, s := range c.Steps {
		if s.Result != ResultOK {
			out := s.Result + ": " + s.Name + paren(s.Detail)
			if len(c.Notes) > 0 {
				out += "; " + strings.Join(c.Notes, "; ")
			}
			return out
		}
	}
	if len(c.Notes) > 0 {
		return strings.Join(c.Notes, "; ")
	}
	return ""
}

// differs reports whether a row's cells are not all the same ("-", not
// run, counts as a result of its own).
func differs(cells []string) bool {
	for _, c := range cells[1:] {
		if c != cells[0] {
			return true
		}
	}
	return false
}
