package main

import "testing"

// TestStatuses: runtests' lines after each program, as both kernels'
// serial logs have them (with the console's carriage returns).
func TestStatuses(t *testing.T) {
	got := statuses([]string{
		"=== madv_populate",
		"ok 1 MADV_POPULATE_READ with PROT_READ",
		"--- /bin/madv_populate: exit status 0 in 1.25 s\r",
		"--- mremap_test: FAILED: exit status 1 in 4.15 s",
		"--- mlock2-tests: FAILED: killed by signal 11 (SIGSEGV) in 0.10 s",
		"--- map_populate: timed out",
		"runtests: 4 programs, 3 failed",
	})
	want := map[string]string{
		"madv_populate": "exit status 0",
		"mremap_test":   "exit status 1",
		"mlock2-tests":  "killed by signal 11 (SIGSEGV)",
		"map_populate":  "timed out",
	}
	if len(got) != len(want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}
