// checker.go: building SPIN's verifier (pan) for a variant and running it
// on a property.

package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bounds of one verification: pan's search depth and hash table, the
// memory it may use, and how long it may take. The model needs a depth
// of about 250 and well under 100 MB.
const (
	MaxDepth   = 5000
	HashBits   = 22
	MemLimitMB = 1024
	Timeout    = 3 * time.Minute
)

// Checker builds verifiers in Dir, one per variant and mode, and runs
// them. Spin and CC name the programs (default "spin" and "gcc"; spin
// also runs gcc as its preprocessor).
type Checker struct {
	Dir      string
	Source   string // the model; Source (retract.pml) if empty
	Spin, CC string
	built    map[string]bool
}

// Result is what one run of pan reported.
type Result struct {
	Errors      int           // 0: the property holds
	States      int64         // states stored
	Transitions int64         // transitions taken
	Depth       int           // the deepest step of the search
	Elapsed     time.Duration // building excluded
	Output      string        // pan's output
	Dir         string        // where it ran: the trail is Dir/retract.pml.trail
}

// Holds reports whether the property held.
func (r Result) Holds() bool { return r.Errors == 0 }

// Check verifies p for v.
func (c *Checker) Check(v Variant, p Property) (Result, error) {
	return c.run(v, p, false)
}

// Counterexample searches for the shortest violation of p in v (pan -i)
// and returns SPIN's replay of it (spin -t -p -g -l), which Timeline
// turns into a timeline. It fails if p holds.
func (c *Checker) Counterexample(v Variant, p Property) (string, Result, error) {
	r, err := c.run(v, p, true)
	if err != nil {
		return "", r, err
	}
	if r.Holds() {
		return "", r, fmt.Errorf("model: %s holds in %s: there is no counterexample", p.Name, v)
	}
	out, err := c.command(r.Dir, c.spin(), "-t", "-p", "-g", "-l", "-D"+string(v), "retract.pml")
	if err != nil {
		return "", r, fmt.Errorf("model: replaying the trail of %s in %s: %v\n%s", p.Name, v, err, out)
	}
	return out, r, nil
}

func (c *Checker) run(v Variant, p Property, shortest bool) (Result, error) {
	dir, err := c.build(v, p.Mode)
	if err != nil {
		return Result{}, err
	}
	args := []string{fmt.Sprintf("-m%d", MaxDepth), fmt.Sprintf("-w%d", HashBits)}
	switch p.Mode {
	case Safety:
		args = append(args, "-N", p.Name)
	case Liveness:
		args = append(args, "-a", "-f", "-N", p.Name)
	}
	if shortest {
		args = append(args, "-i")
	}
	os.Remove(filepath.Join(dir, "retract.pml.trail"))
	start := time.Now()
	out, err := c.command(dir, "./pan", args...)
	elapsed := time.Since(start)
	if err != nil {
		return Result{}, fmt.Errorf("model: pan %s for %s in %s: %v\n%s", strings.Join(args, " "), p.Name, v, err, out)
	}
	r, err := ParsePan(out)
	if err != nil {
		return r, fmt.Errorf("model: %s in %s: %v", p.Name, v, err)
	}
	r.Elapsed, r.Dir = elapsed, dir
	return r, nil
}

// build generates and compiles the verifier for v and mode once.
func (c *Checker) build(v Variant, mode Mode) (string, error) {
	dir := filepath.Join(c.Dir, fmt.Sprintf("%s-%d", v, mode))
	if c.built[dir] {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := c.Source
	if src == "" {
		src = Source
	}
	if err := os.WriteFile(filepath.Join(dir, "retract.pml"), []byte(src), 0o644); err != nil {
		return "", err
	}
	if out, err := c.command(dir, c.spin(), "-a", "-D"+string(v), "retract.pml"); err != nil {
		return "", fmt.Errorf("model: spin -a -D%s retract.pml: %v\n%s", v, err, out)
	}
	// The safety searches take well under a second even unoptimized;
	// the nested search for acceptance cycles is worth optimizing.
	flags := []string{"-w", fmt.Sprintf("-DMEMLIM=%d", MemLimitMB), "-o", "pan", "pan.c"}
	switch mode {
	case Safety:
		flags = append([]string{"-O0", "-DSAFETY"}, flags...)
	case EndStates:
		flags = append([]string{"-O0", "-DSAFETY", "-DNOCLAIM"}, flags...)
	case Liveness:
		flags = append([]string{"-O1", "-DNFAIR=3"}, flags...)
	}
	cc := c.CC
	if cc == "" {
		cc = "gcc"
	}
	if out, err := c.command(dir, cc, flags...); err != nil {
		return "", fmt.Errorf("model: compiling pan for %s (%v): %v\n%s", v, mode, err, out)
	}
	if c.built == nil {
		c.built = map[string]bool{}
	}
	c.built[dir] = true
	return dir, nil
}

func (c *Checker) spin() string {
	if c.Spin == "" {
		return "spin"
	}
	return c.Spin
}

func (c *Checker) command(dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s did not finish in %v", name, Timeout)
	}
	return b.String(), err
}

var (
	errorsRe      = regexp.MustCompile(`depth reached (\d+), errors: (\d+)`)
	statesRe      = regexp.MustCompile(`(?m)^\s*(\d+) states, stored`)
	transitionsRe = regexp.MustCompile(`(?m)^\s*(\d+) transitions`)
)

// ParsePan reads pan's report: errors, states stored, transitions, the
// depth reached. A search that was cut short (out of memory, too deep) is
// an error: its "0 errors" would prove nothing.
func ParsePan(out string) (Result, error) {
	r := Result{Output: out}
	for _, bad := range []string{"out of memory", "max search depth too small", "reached -DMEMLIM bound"} {
		if strings.Contains(out, bad) {
			return r, fmt.Errorf("pan's search was cut short: %q", bad)
		}
	}
	m := errorsRe.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("no \"depth reached N, errors: N\" line in pan's output")
	}
	r.Depth, _ = strconv.Atoi(m[1])
	r.Errors, _ = strconv.Atoi(m[2])
	if m := statesRe.FindStringSubmatch(out); m != nil {
		r.States, _ = strconv.ParseInt(m[1], 10, 64)
	} else {
		return r, errors.New("no \"N states, stored\" line in pan's output")
	}
	if r.Errors == 0 && strings.Contains(out, "Search not completed") {
		return r, errors.New("pan found no error but did not complete its search")
	}
	if m := transitionsRe.FindStringSubmatch(out); m != nil {
		r.Transitions, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}
