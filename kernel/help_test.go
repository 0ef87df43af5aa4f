package main

import (
	"bytes"
	"strings"
	"testing"

	"retract/kernel/shell"
)

// TestHelpFits80Columns: help, and help for each command, fit an
// 80-column terminal.
func TestHelpFits80Columns(t *testing.T) {
	cmds := commands()
	lines := []string{"help"}
	for _, c := range cmds {
		lines = append(lines, "help "+c.Name)
	}
	for _, line := range lines {
		var out bytes.Buffer
		sh := shell.New(strings.NewReader(""), &out, cmds)
		if err := sh.Exec(line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if len(l) > 80 {
				t.Errorf("%s: a line of %d columns: %q", line, len(l), l)
			}
		}
	}
}
