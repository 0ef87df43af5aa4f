//go:build linux

package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"retract/qemu"
	"retract/tools/linuxvm"
	"retract/tools/selftest"
)

// peerDir is where the selftest's file cases make their file: a tmpfs
// mounted with huge=advise, as on Linux in `make peer-test`.
const peerDir = "/mnt/khugepaged"

// peerExpected is how the cases that do not pass end, on Linux 6.1 in
// `make peer-test` as on retract: four need swap, which neither has
// (they fail at their "Swapout" step; docs/compat.md), and the test
// itself skips four file cases on tmpfs.
var peerExpected = map[string]string{
	"collapse_swapin_single_pte (khugepaged:anon)":         selftest.ResultFail,
	"collapse_swapin_single_pte (madvise:anon)":            selftest.ResultFail,
	"collapse_max_ptes_swap (khugepaged:anon)":             selftest.ResultFail,
	"collapse_max_ptes_swap (madvise:anon)":                selftest.ResultFail,
	"collapse_max_ptes_none (khugepaged:file)":             selftest.ResultSkip,
	"collapse_max_ptes_none (madvise:file)":                selftest.ResultSkip,
	"collapse_single_pte_entry_compound (khugepaged:file)": selftest.ResultSkip,
	"collapse_single_pte_entry_compound (madvise:file)":    selftest.ResultSkip,
}

// TestPeerSelftest runs Linux 6.1's own khugepaged selftest
// (tools/testing/selftests/vm/khugepaged.c, from Debian's
// linux-source-6.1, built static with gcc; nothing of it is in the
// repository) on retract as `make peer-test` does — all 45 cases
// (khugepaged and MADV_COLLAPSE; anonymous memory, a file on a tmpfs
// mounted huge=advise, a memfd), about 45 s of TCG on 2 CPUs — and
// checks that each ends as on Linux: OK, but for peerExpected. It skips
// when the source or gcc cannot be installed (not root, no apt).
func TestPeerSelftest(t *testing.T) {
	build := filepath.Join(repoRoot, "build")
	var log strings.Builder
	if err := selftest.EnsureSource(&log); err != nil {
		t.Skipf("Linux's khugepaged selftest needs %s, which cannot be installed here: %v", selftest.SourcePackage, err)
	}
	src := filepath.Join(build, "selftests", "src")
	if err := selftest.Extract(selftest.Tarball, src, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	bin := filepath.Join(build, "selftests", "khugepaged")
	if err := selftest.Build(src, bin, &log); err != nil {
		t.Skipf("cannot build Linux's khugepaged selftest static (gcc, libc6-dev): %v", err)
	}
	// user/init, the same PID 1 as on Linux.
	dir := t.TempDir()
	initBin := filepath.Join(dir, "init")
	ctx, cancel := context.WithTimeout(context.Background(), scaled(5*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", initBin, "./user/init")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./user/init: %v\n%s", err, out)
	}
	img := filepath.Join(dir, "peer.cpio.gz")
	err := linuxvm.BuildImage(img, linuxvm.Image{
		Init:     initBin,
		Programs: map[string]string{"/bin/khugepaged": bin},
		Cmd:      "khugepaged all:all " + peerDir,
		Fstab:    "tmpfs " + peerDir + " tmpfs huge=advise 0 0\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	v := bootConfig(t, qemu.Config{Machine: qemu.MachineQ35, CPUs: 2, MemMB: 2048, Initrd: img,
		Append: "khugepaged=on init=/bin/init"})
	v.wait(budget(t, 8*time.Minute))
	v.checkNoCrash()
	rep := selftest.Parse(v.lines())
	var table strings.Builder
	rep.Table(&table)
	t.Logf("khugepaged all:all on retract:\n%s", table.String())
	if !rep.Finished {
		v.fatalf("the selftest did not run to its end: %s", rep.Summary())
	}
	if len(rep.Cases) != 45 {
		v.errorf("%d cases, want the 45 of the 6.1 test", len(rep.Cases))
	}
	for _, s := range rep.Setup {
		if s.Result != selftest.ResultOK {
			v.errorf("setup %q: %s %s", s.Name, s.Result, s.Detail)
		}
	}
	for i := range rep.Cases {
		c := &rep.Cases[i]
		want, ok := peerExpected[c.ID()]
		if !ok {
			want = selftest.ResultOK
		}
		if c.Result() != want {
			v.errorf("%s: %s, want %s (as on Linux 6.1)", c.ID(), firstNotOK(c), want)
		}
	}
	// The test's exit status is its number of failures: the swap cases.
	if st := linuxvm.Marker(v.s.Log()); !st.Found || st.Signal != 0 || st.Exit != 4 {
		v.errorf("khugepaged: %s, want exit status 4 (the four swap cases)", st)
	}
}

// firstNotOK describes a case's first step that did not pass.
func firstNotOK(c *selftest.Case) string {
	for _, s := range c.Steps {
		if s.Result != selftest.ResultOK {
			return strings.TrimSpace(s.Result + ": " + s.Name + " " + s.Detail + " " + strings.Join(c.Notes, "; "))
		}
	}
	return c.Result()
}
