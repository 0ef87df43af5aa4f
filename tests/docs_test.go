//go:build linux

// The documentation's shell sessions, replayed: README's "What you will
// see" and "Watch the race", and docs/retract.md's "Watch it". The
// commands are read from the markdown, so editing the docs changes the
// test, and what the docs show must be what the kernel prints.
//
// The convention for a transcript in a code block: a line starting with
// "retract> " is a command (a trailing "  # comment" is not typed; stress
// runs are skipped: they take long and vary, and other tests run them).
// The lines after a command, up to the next one, are its output. Each must
// match a line of the real output, in order (real lines in between are
// allowed: the docs may leave lines out). In a line, "..." matches any
// text, a hex number (0x...) matches any hex number unless it appears in
// the command, every other character — decimal numbers included — must be
// as written, and runs of spaces match runs of spaces. The lines before the
// first command are matched the same way against the boot log.

package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"retract/qemu"
	"strings"
	"testing"
	"time"
)

// docStep is one command of a transcript and the output the docs show.
type docStep struct {
	cmd string   // "" for the boot lines before the first command
	out []string // expected lines ("..." lines dropped)
}

// docBlock returns the first code block (fenced or indented) after the
// heading line in the markdown file rel, split into steps.
func docBlock(t *testing.T, rel, heading string) []docStep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) != heading {
		i++
	}
	if i == len(lines) {
		t.Fatalf("%s has no heading %q", rel, heading)
	}
	var block []string
	for i++; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				block = append(block, lines[i])
			}
			break
		}
		if strings.HasPrefix(l, "    ") {
			for ; i < len(lines) && (strings.HasPrefix(lines[i], "    ") || strings.TrimSpace(lines[i]) == ""); i++ {
				block = append(block, strings.TrimPrefix(lines[i], "    "))
			}
			break
		}
		if strings.HasPrefix(l, "#") {
			break // the next section: no code block here
		}
	}
	steps := []docStep{{}}
	for _, l := range block {
		switch {
		case strings.HasPrefix(l, prompt):
			cmd := strings.TrimPrefix(l, prompt)
			if c, _, ok := strings.Cut(cmd, "  #"); ok {
				cmd = c
			}
			steps = append(steps, docStep{cmd: strings.TrimSpace(cmd)})
		case strings.TrimSpace(l) == "" || strings.TrimSpace(l) == "...":
		default:
			steps[len(steps)-1].out = append(steps[len(steps)-1].out, l)
		}
	}
	if len(steps) < 2 {
		t.Fatalf("the code block after %q in %s has no %q lines", heading, rel, prompt)
	}
	return steps
}

var (
	docHexRE   = regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`)
	docSpaceRE = regexp.MustCompile(`\s+`)
)

// docLineRE turns a transcript line into a regular expression for an
// output line of cmd, by the convention above.
func docLineRE(line, cmd string) *regexp.Regexp {
	typed := map[string]bool{}
	for _, w := range strings.Fields(cmd) {
		typed[strings.ToLower(w)] = true
	}
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimSpace(line), "...") {
		if b.Len() > 0 {
			b.WriteString(`.*`)
		}
		last := 0
		for _, m := range docHexRE.FindAllStringIndex(part, -1) {
			b.WriteString(literal(part[last:m[0]]))
			if h := part[m[0]:m[1]]; typed[strings.ToLower(h)] {
				b.WriteString(regexp.QuoteMeta(h))
			} else {
				b.WriteString(`0x[0-9a-fA-F]+`)
			}
			last = m[1]
		}
		b.WriteString(literal(part[last:]))
	}
	return regexp.MustCompile(`^\s*` + b.String() + `\s*$`)
}

// literal quotes s, letting any run of spaces match any run of spaces.
func literal(s string) string {
	parts := docSpaceRE.Split(s, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, `\s+`)
}

// matchDoc checks that the expected lines match lines of got, in order.
func (v *vm) matchDoc(where, cmd string, want, got []string) {
	v.t.Helper()
	j := 0
	for _, w := range want {
		re := docLineRE(w, cmd)
		for j < len(got) && !re.MatchString(got[j]) {
			j++
		}
		if j == len(got) {
			v.errorf("%s: %q: the docs show %q (as %s), which is not in the output (in order):\n%s",
				where, cmd, w, re, strings.Join(got, "\n"))
			return
		}
		j++
	}
}

// runDoc boots as `make run` does (microvm, the initramfs of user/) and
// replays steps.
func runDoc(t *testing.T, where string, cpus int, steps []docStep) *vm {
	v := bootConfig(t, qemu.Config{Machine: "microvm", CPUs: cpus, MemMB: defaultMemMB, Initrd: initramfs(t)})
	v.waitPrompt(defaultTimeout)
	var boot []string
	for _, l := range v.lines() {
		if strings.HasPrefix(l, prompt) {
			break
		}
		boot = append(boot, l)
	}
	v.matchDoc(where, "(boot)", steps[0].out, boot)
	for _, st := range steps[1:] {
		switch {
		case strings.HasPrefix(st.cmd, "stress "):
			t.Logf("skipping %q", st.cmd)
		case st.cmd == "crash":
			before := len(v.s.Log())
			v.send("crash\r")
			halted := regexp.MustCompile(`CPU \d halted \(oops\)`)
			v.expect(halted, 2*time.Minute)
			// The report's last line is in the log now; read until it is
			// in the copy too (seen once: a copy without the report's end).
			out := string(v.s.Log()[before:])
			for end := time.Now().Add(10 * time.Second); !halted.MatchString(out) && time.Now().Before(end); {
				time.Sleep(50 * time.Millisecond)
				out = string(v.s.Log()[before:])
			}
			v.matchDoc(where, st.cmd, st.out, splitLines(ansiRE.ReplaceAllString(out, "")))
			return v
		default:
			v.matchDoc(where, st.cmd, st.out, v.command(st.cmd, cmdTimeout))
		}
	}
	v.checkNoCrash()
	return v
}

// TestDocs replays the documentation's sessions.
func TestDocs(t *testing.T) {
	t.Run("README/What_you_will_see", func(t *testing.T) {
		steps := docBlock(t, "README.md", "## What you will see")
		if len(steps[0].out) < 5 {
			t.Fatalf("README's session shows %d boot lines; want the banner", len(steps[0].out))
		}
		runDoc(t, "README.md, What you will see", 1, steps)
	})
	t.Run("README/Watch_the_race", func(t *testing.T) {
		runDoc(t, "README.md, Watch the race", 2, docBlock(t, "README.md", "## Watch the race"))
	})
	t.Run("retract.md/Watch_it", func(t *testing.T) {
		runDoc(t, "docs/retract.md, Watch it", 2, docBlock(t, "docs/retract.md", "## Watch it"))
	})
}

// TestDocLineRE pins the transcript convention.
func TestDocLineRE(t *testing.T) {
	for _, c := range []struct {
		doc, cmd, got string
		ok            bool
	}{
		{"mm 1: PML4 (pgd) at 0x17d000", "mm new", "mm 1: PML4 (pgd) at 0xa72000", true},
		{"mm 1: PML4 (pgd) at 0x17d000", "mm new", "mm 2: PML4 (pgd) at 0xa72000", false},
		{"collapse: SCAN_SUCCEED: pages 0-511 of file \"demo\" (510 holes) copied; 2 page tables retracted", "collapse 1 0x8000000000", "collapse: SCAN_SUCCEED: pages 0-511 of file \"demo\" (510 holes) copied; 2 page tables retracted", true},
		{"collapse: SCAN_SUCCEED: pages 0-511 of file \"demo\" (510 holes) copied; 2 page tables retracted", "collapse 1 0x8000000000", "collapse: SCAN_SUCCEED: pages 0-511 of file \"demo\" (510 holes) copied; 1 page table retracted", false},
		{"collapse: mm 1 0x8000000000: MadviseCollapse", "collapse 1 0x8000000000", "collapse: mm 1 0x8000200000: MadviseCollapse", false},
		{"retract: mm 1 pmd 0x8000000000: ... table 0x1a2000 freed after GP ...", "collapse 1 0x8000000000", "retract: mm 1 pmd 0x8000000000: retractTable → PteFreeDefer (retract_page_tables → pte_free_defer): table 0x1fc50000 freed after GP 12", true},
		{"retract: Go runtime up after ... ms; cmdline \"\"", "", "retract: Go runtime up after 115 ms; cmdline \"\"", true},
		{"retract: 1 of 1 CPUs online (APIC IDs 0); RDRAND", "", "retract: 4 of 4 CPUs online (APIC IDs 0 1 2 3); RDRAND", false},
		{"PT (pte)   table 0x199000 (owner mm 1, level 1, gen ...) [  1] = 0x0080 P W", "fault 1 0x8000001008 w", "PT (pte) table 0xa8c000 (owner mm 1, level 1, gen 3) [ 1] = 0x0080ab P W", true},
		{"     -> huge PMD: one 2 MiB page at 0x... (pagecache), byte at 0x...", "", "     -> huge PMD: one 2 MiB page at 0x1000000 (pagecache), byte at 0x1003000", true},
	} {
		if got := docLineRE(c.doc, c.cmd).MatchString(c.got); got != c.ok {
			t.Errorf("doc %q, command %q: matching %q = %v, want %v", c.doc, c.cmd, c.got, got, c.ok)
		}
	}
}
