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
// a cell is "-" where that kernel did not get to the case (or did not run
// at all: Ran false). The row's last column marks the rows whose results
// differ between the kernels that ran ("<>"). Under the table,
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
	head := fmt.Sprintf("%-*s", width, "case")
	for i, c := range cols {
		head += fmt.Sprintf("  %-*s", cw[i], c.Name)
	}
	fmt.Fprintln(w, strings.TrimRight(head, " "))
	var differ []*row
	for _, r := range rows {
		line := fmt.Sprintf("%-*s", width, r.id)
		for i, cell := range r.cells {
			line += fmt.Sprintf("  %-*s", cw[i], cell)
		}
		if differs(r.cells, cols) {
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
				if !c.Ran {
					continue
				}
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

// differs reports whether a row's cells of the kernels that ran are not
// all the same ("-", a case a kernel did not get to, counts as a result
// of its own).
func differs(cells []string, cols []Column) bool {
	first := ""
	for i, c := range cells {
		switch {
		case !cols[i].Ran:
		case first == "":
			first = c
		case c != first:
			return true
		}
	}
	return false
}
