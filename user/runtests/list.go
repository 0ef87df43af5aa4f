package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// test is one command line of the list.
type test struct {
	argv     []string
	optional bool // "?" in front: skip when the program does not exist
}

func (t test) String() string {
	s := strings.Join(t.argv, " ")
	if t.optional {
		return s + " (optional)"
	}
	return s
}

// parseList reads command lines: one per line, split at white space,
// blank lines and "#" comments ignored, "?" in front for optional ones.
func parseList(text string) ([]test, error) {
	var out []test
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var t test
		if rest, ok := strings.CutPrefix(line, "?"); ok {
			t.optional = true
			line = strings.TrimSpace(rest)
		}
		t.argv = strings.Fields(line)
		if len(t.argv) == 0 {
			return nil, fmt.Errorf("line %d: no program after ?", n)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no command lines")
	}
	return out, nil
}

// lookPath finds a program: a name with a slash as is, anything else in
// dirs (the first regular executable file).
func lookPath(name string, dirs []string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", err
		}
		return name, nil
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in %s", name, strings.Join(dirs, ":"))
}
