package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	ts, err := parseList("# comment\n\n  badinst all \n? badinst-musl all\nrace -seconds 5\n")
	if err != nil || len(ts) != 3 {
		t.Fatalf("%v %v", ts, err)
	}
	if strings.Join(ts[0].argv, "|") != "badinst|all" || ts[0].optional {
		t.Errorf("first: %+v", ts[0])
	}
	if strings.Join(ts[1].argv, "|") != "badinst-musl|all" || !ts[1].optional || ts[1].String() != "badinst-musl all (optional)" {
		t.Errorf("second: %+v", ts[1])
	}
	for _, bad := range []string{"", "# only\n", "?\n"} {
		if _, err := parseList(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "prog")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "data"), nil, 0o644)
	if p, err := lookPath("prog", []string{"", "/nonexistent", dir}); err != nil || p != exe {
		t.Errorf("%q %v", p, err)
	}
	if _, err := lookPath("data", []string{dir}); err == nil {
		t.Error("a non-executable file found")
	}
	if p, err := lookPath(exe, nil); err != nil || p != exe {
		t.Errorf("a path: %q %v", p, err)
	}
}

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// runCapture runs run with stdout and stderr in a file, as the programs
// write to the file descriptors.
func runCapture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code := run(args, f, f)
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b)
}

func TestRun(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	script(t, dir, "pass", `echo "ok x"; echo "1 passed, 0 failed"`)
	script(t, dir, "fail", `echo "FAIL y: no"; exit 1`)
	script(t, dir, "segv", `kill -SEGV $$`)
	script(t, dir, "hang", `sleep 30 & sleep 30`)
	list := filepath.Join(dir, "tests.list")
	os.WriteFile(list, []byte("pass\nfail\n? missing-musl all\nsegv\nhang\n"+filepath.Join(dir, "pass")+" arg\n"), 0o644)
	t.Setenv("PATH", dir+":/bin:/usr/bin")
	code, text := runCapture(t, "-list", list, "-timeout", "500ms")
	for _, want := range []string{
		"=== pass\nok x\n1 passed, 0 failed\n--- pass: exit status 0 in ",
		"=== fail\nFAIL y: no\n--- fail: FAILED: exit status 1 in ",
		"=== missing-musl all (optional)\n--- missing-musl: skipped: ",
		"--- segv: FAILED: killed by signal 11 (segmentation fault)",
		"--- hang: FAILED: timed out after 500ms",
		"=== " + filepath.Join(dir, "pass") + " arg\n",
		"runtests: 5 programs, 3 failed\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if code != 1 {
		t.Errorf("status %d", code)
	}
	if code, text := runCapture(t, filepath.Join(dir, "pass")); code != 0 || !strings.HasSuffix(text, "runtests: 1 programs, 0 failed\n") {
		t.Errorf("status %d\n%s", code, text)
	}
	if code, _ := runCapture(t, "-list", filepath.Join(dir, "none")); code != 2 {
		t.Errorf("missing list: status %d", code)
	}
}
