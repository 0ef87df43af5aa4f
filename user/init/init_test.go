package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// With asInitEnv set, the test binary runs main (as a non-PID-1 init).
const asInitEnv = "RETRACT_INIT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asInitEnv) != "" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestCommandFromArgs(t *testing.T) {
	argv, err := command([]string{"/bin/echo", "a", "b"}, "/nonexistent")
	if err != nil || strings.Join(argv, " ") != "/bin/echo a b" {
		t.Errorf("%q %v", argv, err)
	}
	t.Setenv("PATH", "/usr/bin:/bin")
	if argv, err := command([]string{"true"}, "/nonexistent"); err != nil || !strings.HasSuffix(argv[0], "/true") {
		t.Errorf("PATH lookup: %q %v", argv, err)
	}
	if _, err := command([]string{"no-such-program-here"}, "/nonexistent"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing program: %v", err)
	}
}

func TestCommandFromFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "init.cmd")
	os.WriteFile(f, []byte("\n# a comment\n   /bin/echo  one   two \n/bin/false\n"), 0o644)
	argv, err := command(nil, f)
	if err != nil || strings.Join(argv, "|") != "/bin/echo|one|two" {
		t.Errorf("%q %v", argv, err)
	}
	os.WriteFile(f, []byte("# only comments\n\n"), 0o644)
	if _, err := command(nil, f); err == nil || !strings.Contains(err.Error(), "has no command line") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := command(nil, filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no command") {
		t.Errorf("missing file: %v", err)
	}
}

func TestMarker(t *testing.T) {
	cases := map[syscall.WaitStatus]string{
		0:        "init: exit status 0",
		3 << 8:   "init: exit status 3",
		255 << 8: "init: exit status 255",
		9:        "init: killed by signal 9 (killed)",
		11:       "init: killed by signal 11 (segmentation fault)",
	}
	for ws, want := range cases {
		if got := marker(ws); got != want {
			t.Errorf("marker(%#x) = %q, want %q", int(ws), got, want)
		}
	}
	if exitCode(9) != 137 || exitCode(3<<8) != 3 {
		t.Error("exitCode")
	}
}

func TestBenignMountErrors(t *testing.T) {
	for _, e := range []error{syscall.EBUSY, syscall.ENOENT, syscall.ENODEV, syscall.ENOSYS} {
		if !benignMountError(e) {
			t.Errorf("%v is not benign", e)
		}
	}
	if benignMountError(syscall.EPERM) || benignMountError(syscall.EINVAL) {
		t.Error("EPERM/EINVAL taken as benign")
	}
}

// runInit runs the test binary as init (not PID 1) with args.
func runInit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), asInitEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String()
}

func TestRunsCommandAndPrintsMarker(t *testing.T) {
	code, out := runInit(t, "/bin/sh", "-c", "echo hello from the command; exit 3")
	if code != 3 || !strings.Contains(out, "hello from the command\n") || !strings.HasSuffix(out, "init: exit status 3\n") {
		t.Errorf("status %d, output:\n%s", code, out)
	}
	code, out = runInit(t, "/bin/sh", "-c", "kill -SEGV $$")
	if code != 128+11 || !strings.HasSuffix(out, "init: killed by signal 11 (segmentation fault)\n") {
		t.Errorf("status %d, output:\n%s", code, out)
	}
	code, out = runInit(t, "/no/such/program")
	if code != 127 || !strings.Contains(out, "init: exec /no/such/program") || !strings.HasSuffix(out, "init: exit status 127\n") {
		t.Errorf("status %d, output:\n%s", code, out)
	}
}

func TestParseFstab(t *testing.T) {
	es, err := parseFstab("# comment\n\ntmpfs /mnt/k tmpfs huge=advise,nosuid,size=64m 0 0\nproc /proc proc\n")
	if err != nil || len(es) != 2 {
		t.Fatalf("%+v %v", es, err)
	}
	if e := es[0]; e.source != "tmpfs" || e.target != "/mnt/k" || e.fstype != "tmpfs" || e.flags != syscall.MS_NOSUID || e.data != "huge=advise,size=64m" {
		t.Errorf("first: %+v", e)
	}
	if e := es[1]; e.flags != 0 || e.data != "" {
		t.Errorf("second: %+v", e)
	}
	for _, bad := range []string{"tmpfs /mnt", "tmpfs mnt tmpfs", "a b c d e f g"} {
		if _, err := parseFstab(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
