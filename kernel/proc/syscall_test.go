package proc

import (
	"os"
	"sort"
	"strings"
	"testing"

	"retract/kernel/sys"
)

// TestSyscallsDocumented: the table in docs/processes.md names exactly the
// system calls the kernel registers.
func TestSyscallsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/processes.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "<!-- syscalls:")
	j := strings.Index(s, "<!-- end syscalls -->")
	if i < 0 || j < i {
		t.Fatal("docs/processes.md has no syscalls block")
	}
	doc := map[string]bool{}
	for _, line := range strings.Split(s[i:j], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || strings.HasPrefix(strings.TrimSpace(cells[1]), "family") || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		for _, name := range strings.Fields(cells[2]) {
			if doc[name] {
				t.Errorf("%s is listed twice", name)
			}
			doc[name] = true
		}
	}
	code := map[string]bool{}
	for nr := 0; nr < maxSyscall; nr++ {
		if table[nr] != nil {
			code[sys.Name(uint64(nr))] = true
		}
	}
	var missing, extra []string
	for n := range code {
		if !doc[n] {
			missing = append(missing, n)
		}
	}
	for n := range doc {
		if !code[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("implemented but not in docs/processes.md: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("in docs/processes.md but not implemented: %v", extra)
	}
}
