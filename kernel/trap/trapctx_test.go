package trap

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// trapPackages run (in part) in trap context, where there is no P: they
// must contain no write barriers and nothing that escapes to the heap
// (DESIGN §6). Constant panic messages are fine: they are static.
var trapPackages = []string{
	"retract/arch/amd64",
	"retract/mm",
	"retract/kernel/sched",
	"retract/kernel/sys",
	"retract/kernel/console",
	"retract/kernel/clock",
	"retract/kernel/trap",
	"retract/kernel/smp",
	"retract/rcu",
}

// constPanic matches constant panic messages, which are static data.
var constPanic = regexp.MustCompile(`: "[^"]*" escapes to heap`)

var siteRE = regexp.MustCompile(`^(\S+\.go):(\d+):\d+: `)

// marked reports whether the source line of a diagnostic carries a
// "wb:" or "alloc:" comment, which says why that site never runs in trap
// context (set once at boot before the runtime's write barriers exist, or
// process context only), or whether its file says
// "// trapctx: process context only" on a line of its own.
func marked(t *testing.T, line, marker string) bool {
	m := siteRE.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	src, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatalf("reading %s: %v", m[1], err)
	}
	// A whole file can say that none of it runs in trap context.
	if strings.Contains(string(src), "\n// trapctx: process context only\n") {
		return true
	}
	n, _ := strconv.Atoi(m[2])
	lines := strings.Split(string(src), "\n")
	return n >= 1 && n <= len(lines) && strings.Contains(lines[n-1], marker)
}

func TestNoWriteBarriersOrAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the packages with compiler diagnostics")
	}
	var flags []string
	for _, p := range trapPackages {
		flags = append(flags, p+"=-d=wb -m")
	}
	args := []string{"build", "-a", "-o", "/dev/null"}
	for _, f := range flags {
		args = append(args, "-gcflags="+f)
	}
	args = append(args, trapPackages...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "_test.go") {
			continue
		}
		bad := strings.Contains(line, "write barrier") && !marked(t, line, "wb:") ||
			(strings.Contains(line, "escapes to heap") || strings.Contains(line, "moved to heap")) &&
				!constPanic.MatchString(line) && !marked(t, line, "alloc:")
		if bad {
			t.Errorf("trap-context code: %s", line)
			n++
		}
	}
	if n == 0 && !strings.Contains(string(out), "escapes") && !strings.Contains(string(out), "does not escape") {
		t.Errorf("the compiler printed no escape analysis: is -m being applied?\n%.2000s", out)
	}
}
