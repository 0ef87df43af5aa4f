package selftest

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Compare puts the runs side by side: one row per case in the order the
// first kernel ran them, "<>" where the results differ, why under the
// table, and each kernel's summary.
func TestCompare(t *testing.T) {
	b, err := os.ReadFile("testdata/linux-6.1-2gib.log")
	if err != nil {
		t.Fatal(err)
	}
	linux := Parse(lines(string(b)))
	other := strings.Join([]string{
		ok("Save THP and khugepaged settings..."),
		"",
		"Run test: collapse_full (khugepaged:anon)",
		ok("Collapse multiple fully populated PTE table...."),
		"",
		"Run test: collapse_full (khugepaged:file)",
		"Collapse multiple fully populated PTE table........ " + esc + "[31mTimeout" + esc + "[0m",
		"",
		"Run test: only_here (madvise:anon)",
		ok("Something..."),
		"",
		ok("Restore THP and khugepaged settings..."),
		"init: exit status 1",
	}, "\r\n") + "\r\n"
	ret := Parse(lines(other))
	var w bytes.Buffer
	Compare(&w, []Column{{Name: "Linux 6.1", Report: linux, Ran: true}, {Name: "retract", Report: ret, Ran: true}, {Name: "none"}})
	out := w.String()
	for _, want := range []string{
		"case                                                  Linux 6.1   retract     none\n",
		"setup: Save THP and khugepaged settings               OK          OK          -\n",
		"setup: Allocate huge page on fault                    OK          -           -           <>\n",
		"collapse_full (khugepaged:file)                       OK          FAIL        -           <>\n",
		"only_here (madvise:anon)                              -           OK          -           <>\n",
		"    retract:    FAIL: Collapse multiple fully populated PTE table (Timeout)\n",
		"    Linux 6.1:  not run\n",
		"Linux 6.1: 45 cases: 37 OK, 4 FAIL, 4 SKIP\n",
		"none: did not run\n",
		"retract: 3 cases: 2 OK, 1 FAIL, 0 SKIP\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	// Only the two that ran: the same results give no "<>".
	w.Reset()
	Compare(&w, []Column{{Name: "a", Report: linux, Ran: true}, {Name: "b", Report: linux, Ran: true}})
	if strings.Contains(w.String(), "<>") || strings.Contains(w.String(), "differ") {
		t.Errorf("identical runs differ:\n%s", w.String())
	}
	if n := strings.Count(w.String(), "\n"); n != 1+3+45+1+1+2 {
		t.Errorf("%d lines, want a header, 3 setup rows, 45 cases, a teardown row, a blank line and 2 summaries:\n%s", n, w.String())
	}
}
