package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The exec check runs os.Executable — this test binary — with -child.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == "-child" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestRunOnHost(t *testing.T) {
	var out bytes.Buffer
	code := run(&out)
	if code != 0 || strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), " passed, 0 failed") {
		t.Errorf("status %d:\n%s", code, out.String())
	}
}
