package selftest

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// lines splits captured serial output as linuxvm.Lines does ("\r\n" ends
// a line, a lone "\r" stays).
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
}

const esc = "\x1b"

func ok(s string) string   { return s + " " + esc + "[32mOK" + esc + "[0m" }
func fail(s string) string { return s + " " + esc + "[31m" + "Fail" + esc + "[0m" }

func TestParseSmall(t *testing.T) {
	out := strings.Join([]string{
		"[    3.1] Run /init as init process",
		"init: running [\"/bin/khugepaged\"] at 3.91 s uptime",
		ok("Save THP and khugepaged settings..."),
		ok("Allocate huge page on fault..."),
		"",
		"Run test: collapse_full (khugepaged:anon)",
		ok("Collapse multiple fully populated PTE table...."),
		"",
		"Run test: collapse_full (khugepaged:file)",
		ok("Creating /mnt/k/collapse_test_file for collapse (tmpfs)..."),
		"Collapse multiple fully populated PTE table........ " + esc + "[31mTimeout" + esc + "[0m",
		"",
		"Run test: collapse_single_pte_entry_compound (madvise:shmem)",
		"tmpfs... " + esc + "[33mSkip" + esc + "[0m",
		"",
		"Run test: collapse_full (madvise:anon)",
		"Collapse multiple fully populated PTE table... " + esc + "[31mFail: check_huge()" + esc + "[0m",
		"Page 3 is corrupted: 0x0",
		"",
		"Run test: collapse_swapin_single_pte (madvise:anon)",
		fail("Swapout one page..."),
		"",
		ok("Restore THP and khugepaged settings..."),
		"init: exit status 3",
		"[   45.6] reboot: Power down",
	}, "\r\n") + "\r\n"
	r := Parse(lines(out))
	if len(r.Setup) != 2 || r.Setup[1].Name != "Allocate huge page on fault" || r.Setup[1].Result != ResultOK {
		t.Errorf("setup %+v", r.Setup)
	}
	if !r.Finished || len(r.Teardown) != 1 {
		t.Errorf("teardown %+v finished %v", r.Teardown, r.Finished)
	}
	want := []struct{ id, result string }{
		{"collapse_full (khugepaged:anon)", ResultOK},
		{"collapse_full (khugepaged:file)", ResultFail},
		{"collapse_single_pte_entry_compound (madvise:shmem)", ResultSkip},
		{"collapse_full (madvise:anon)", ResultFail},
		{"collapse_swapin_single_pte (madvise:anon)", ResultFail},
	}
	if len(r.Cases) != len(want) {
		t.Fatalf("%d cases: %+v", len(r.Cases), r.Cases)
	}
	for i, w := range want {
		if c := &r.Cases[i]; c.ID() != w.id || c.Result() != w.result {
			t.Errorf("case %d: %s %s, want %s %s", i, c.ID(), c.Result(), w.id, w.result)
		}
	}
	if s := r.Cases[1].Steps[1]; s.Name != "Collapse multiple fully populated PTE table" || s.Detail != "Timeout" {
		t.Errorf("timeout step %+v", s)
	}
	if c := r.Cases[3]; c.Steps[0].Detail != "Fail: check_huge()" || len(c.Notes) != 1 || c.Notes[0] != "Page 3 is corrupted: 0x0" {
		t.Errorf("check_huge case %+v", c)
	}
	if got := r.Summary(); got != "5 cases: 1 OK, 3 FAIL, 1 SKIP" {
		t.Errorf("summary %q", got)
	}
	var b bytes.Buffer
	r.Table(&b)
	for _, s := range []string{
		"OK           setup: Save THP and khugepaged settings\n",
		"FAIL       collapse_full (khugepaged:file)\n",
		"  FAIL       Collapse multiple fully populated PTE table (Timeout)\n",
		"  note       Page 3 is corrupted: 0x0\n",
		"OK           teardown: Restore THP and khugepaged settings\n",
	} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, b.String())
		}
	}
}

// Captured from `make peer-test-linux` with 1 GiB: the test died in
// collapse_compound_extreme (madvise:anon), where it needs 512 huge pages; its progress
// line redraws itself with "\r".
func TestParseDiedRun(t *testing.T) {
	b, err := os.ReadFile("testdata/linux-6.1-1gib-died.log")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(lines(string(b)))
	if r.Finished {
		t.Error("finished")
	}
	last := r.Cases[len(r.Cases)-1]
	if last.ID() != "collapse_compound_extreme (madvise:anon)" || last.Result() != ResultIncomplete {
		t.Fatalf("last case %s %s", last.ID(), last.Result())
	}
	s := last.Steps[len(last.Steps)-1]
	if !strings.HasPrefix(s.Name, "Construct PTE page table full of different PTE-mapped compound pages 470/512") || s.Detail != "Failed to allocate huge page" {
		t.Errorf("last step %+v", s)
	}
	if !strings.Contains(r.Summary(), "INCOMPLETE") || !strings.Contains(r.Summary(), "did not reach its tear-down") {
		t.Errorf("summary %q", r.Summary())
	}
	n := r.Counts()
	if len(r.Cases) < 20 || n[ResultOK] < 15 {
		t.Errorf("%d cases, %v", len(r.Cases), n)
	}
}

// Captured from `make peer-test-linux` (2 GiB, 2 CPUs, TCG): the whole
// run. The swap cases fail (the VM has no swap), four file cases skip on
// tmpfs; the exit status is the number of failures.
func TestParseFullRun(t *testing.T) {
	b, err := os.ReadFile("testdata/linux-6.1-2gib.log")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse(lines(string(b)))
	if !r.Finished || len(r.Setup) != 3 {
		t.Errorf("finished %v, setup %+v", r.Finished, r.Setup)
	}
	if got := r.Summary(); got != "45 cases: 37 OK, 4 FAIL, 4 SKIP" {
		t.Errorf("summary %q", got)
	}
	var failed []string
	for i := range r.Cases {
		if r.Cases[i].Result() == ResultFail {
			failed = append(failed, r.Cases[i].ID())
		}
	}
	want := "collapse_swapin_single_pte (khugepaged:anon),collapse_swapin_single_pte (madvise:anon),collapse_max_ptes_swap (khugepaged:anon),collapse_max_ptes_swap (madvise:anon)"
	if strings.Join(failed, ",") != want {
		t.Errorf("failed %q", failed)
	}
	last := r.Cases[len(r.Cases)-1]
	if last.ID() != "madvise_retracted_page_tables (madvise:shmem)" || last.Result() != ResultOK || len(last.Steps) != 2 {
		t.Errorf("last case %+v", last)
	}
	for i := range r.Cases {
		if len(r.Cases[i].Notes) != 0 {
			t.Errorf("%s has notes %q", r.Cases[i].ID(), r.Cases[i].Notes)
		}
	}
}

// The test died (perror, exit) after a case's steps all passed: the case
// is INCOMPLETE, not OK.
func TestParseDiedAfterOK(t *testing.T) {
	out := strings.Join([]string{
		ok("Save THP and khugepaged settings..."),
		"",
		"Run test: collapse_full (khugepaged:file)",
		ok("Opening /mnt/khugepaged/collapse_test_file read only for collapse..."),
		"madvise(MADV_POPULATE_READ: Bad address",
		"init: exit status 1",
	}, "\r\n") + "\r\n"
	r := Parse(lines(out))
	if r.Finished || len(r.Cases) != 1 {
		t.Fatalf("%+v", r)
	}
	c := r.Cases[0]
	if c.Result() != ResultIncomplete || len(c.Notes) != 1 {
		t.Errorf("%s %s notes %q", c.ID(), c.Result(), c.Notes)
	}
}
