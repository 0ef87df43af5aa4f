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

// peerArgs is the part of Linux's khugepaged selftest TestPeerSelftest
// runs: every shmem case (a memfd), in both contexts — khugepaged's
// collapse and retract of the file's page tables, MADV_COLLAPSE, and
// madvise_retracted_page_tables (MADV_COLLAPSE over a PMD khugepaged left
// none). About 15 s of TCG; `make peer-test` runs them all.
const peerArgs = "all:shmem"

// TestPeerSelftest runs part of Linux 6.1's own khugepaged selftest
// (tools/testing/selftests/vm/khugepaged.c, from Debian's
// linux-source-6.1, built static with gcc; nothing of it is in the
// repository) on retract, as `make peer-test` does, and checks that every
// case passes, as on Linux. It skips when the source or gcc cannot be
// installed (not root, no apt).
func TestPeerSelftest(t *testing.T) {
	build := filepath.Join(repoRoot, "build")
	var log strings.Builder
	if err := selftest.EnsureSource(&log); err != nil {
		t.Skipf("Linux's khugepaged selftest needs %s: %v", selftest.SourcePackage, err)
	}
	src := filepath.Join(build, "selftests", "src")
	if err := selftest.Extract(selftest.Tarball, src, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	bin := filepath.Join(build, "selftests", "khugepaged")
	if err := selftest.Build(src, bin, &log); err != nil {
		t.Skipf("cannot build Linux's khugepaged selftest static: %v", err)
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
	const testDir = "/mnt/khugepaged"
	err := linuxvm.BuildImage(img, linuxvm.Image{
		Init:     initBin,
		Programs: map[string]string{"/bin/khugepaged": bin},
		Cmd:      "khugepaged " + peerArgs + " " + testDir,
		Fstab:    "tmpfs " + testDir + " tmpfs huge=advise 0 0\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	v := bootConfig(t, qemu.Config{Machine: qemu.MachineQ35, CPUs: 2, MemMB: 1024, Initrd: img,
		Append: "khugepaged=on init=/bin/init"})
	v.wait(budget(t, 5*time.Minute))
	v.checkNoCrash()
	rep := selftest.Parse(v.lines())
	var table strings.Builder
	rep.Table(&table)
	t.Logf("khugepaged %s on retract:\n%s", peerArgs, table.String())
	if !rep.Finished {
		v.fatalf("the selftest did not run to its end: %s", rep.Summary())
	}
	if len(rep.Cases) < 8 {
		v.errorf("%d cases, want the 8 shmem cases of the 6.1 test", len(rep.Cases))
	}
	for _, s := range rep.Setup {
		if s.Result != selftest.ResultOK {
			v.errorf("setup %q: %s %s", s.Name, s.Result, s.Detail)
		}
	}
	for i := range rep.Cases {
		if c := &rep.Cases[i]; c.Result() != selftest.ResultOK {
			v.errorf("%s: %s", c.ID(), firstNotOK(c))
		}
	}
	if st := linuxvm.Marker(v.s.Log()); !st.OK() {
		v.errorf("khugepaged: %s, want exit status 0", st)
	}
}

// firstNotOK describes a case's first step that did not pass.
func firstNotOK(c *selftest.Case) string {
	for _, s := range c.Steps {
		if s.Result != selftest.ResultOK {
			return s.Result + ": " + s.Name + " " + s.Detail + " " + strings.Join(c.Notes, "; ")
		}
	}
	return c.Result()
}
