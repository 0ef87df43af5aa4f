//go:build linux

package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Session tests run a fake QEMU: this test binary, re-executed with
// fakeQEMUEnv set. TestMain then acts as the fake instead of running tests.
// The fake
//   - writes its argv, one argument a line, on stderr, then FAKE_QEMU_STDERR;
//   - prints FAKE_QEMU_BANNER on stdout (the "serial console");
//   - in mode "exit" exits at once with FAKE_QEMU_EXIT;
//   - in mode "hang" sleeps until killed;
//   - in mode "echo" (the default) copies stdin to stdout and exits with
//     FAKE_QEMU_EXIT after echoing input containing "EXIT", or at EOF.
const fakeQEMUEnv = "RETRACT_QEMU_TEST_FAKE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeQEMUEnv); mode != "" {
		fakeQEMU(mode)
		return
	}
	os.Exit(m.Run())
}

func fakeQEMU(mode string) {
	code, _ := strconv.Atoi(os.Getenv("FAKE_QEMU_EXIT"))
	for _, a := range os.Args[1:] {
		fmt.Fprintln(os.Stderr, a)
	}
	fmt.Fprint(os.Stderr, os.Getenv("FAKE_QEMU_STDERR"))
	os.Stdout.WriteString(os.Getenv("FAKE_QEMU_BANNER"))
	switch mode {
	case "exit":
		os.Exit(code)
	case "hang":
		time.Sleep(time.Hour)
	}
	buf := make([]byte, 4096)
	for {
		n, err := os.Stdin.Read(buf)
		os.Stdout.Write(buf[:n])
		if bytes.Contains(buf[:n], []byte("EXIT")) || err != nil {
			os.Exit(code)
		}
	}
}

// useFake makes Start run the fake QEMU in mode with the given
// environment, and report an Intel KVM host.
func useFake(t *testing.T, mode string, env ...string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	oldBin, oldProbe := findBinary, hostProbe
	t.Cleanup(func() { findBinary, hostProbe = oldBin, oldProbe })
	findBinary = func() (string, error) { return self, nil }
	hostProbe = func() HostProbe { return fakeProbe(true, modsIntel, nil) }
	t.Setenv(fakeQEMUEnv, mode)
	for _, k := range []string{"FAKE_QEMU_EXIT", "FAKE_QEMU_BANNER", "FAKE_QEMU_STDERR"} {
		t.Setenv(k, "")
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func startFake(t *testing.T, cfg Config) *Session {
	t.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Kill()
		<-s.Done()
	})
	return s
}

func expectOK(t *testing.T, s *Session, re string) []string {
	t.Helper()
	m, err := s.Expect(regexp.MustCompile(re), 10*time.Second)
	if err != nil {
		t.Fatalf("Expect(%q): %v", re, err)
	}
	return m
}

func TestSessionConversation(t *testing.T) {
	useFake(t, "echo", "FAKE_QEMU_BANNER=retract 0.1 booting\ncpu0 ready\nlogin> ", "FAKE_QEMU_EXIT=7")
	s := startFake(t, Config{})

	if d := s.Decision(); d.Accel != "kvm" {
		t.Errorf("decision %v, want kvm from the fake probe", d)
	}
	m := expectOK(t, s, `retract (\d+)\.(\d+) (booting)`)
	if want := []string{"retract 0.1 booting", "0", "1", "booting"}; !slices.Equal(m, want) {
		t.Errorf("submatches %q, want %q", m, want)
	}
	expectOK(t, s, `cpu\d ready`)
	expectOK(t, s, `login> `)

	// Sequential: text before the previous match is not looked at again.
	_, err := s.Expect(regexp.MustCompile(`booting`), 300*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("re-matching consumed output: err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "login> ") || !strings.Contains(err.Error(), "booting") {
		t.Errorf("timeout error lacks the log tail: %v", err)
	}
	if !strings.Contains(err.Error(), "300ms") {
		t.Errorf("timeout error does not say how long it waited: %v", err)
	}

	// Write goes to the guest's input; the fake echoes it back.
	if n, err := s.Write([]byte("root\n")); err != nil || n != 5 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if m := expectOK(t, s, `(\w+)\n`); m[1] != "root" {
		t.Errorf("echo %q", m)
	}
	// An empty-matching pattern matches at once without consuming output.
	expectOK(t, s, `x*`)

	if _, err := s.Write([]byte("EXIT")); err != nil {
		t.Fatal(err)
	}
	code, err := s.Wait(10 * time.Second)
	if err != nil || code != 7 {
		t.Fatalf("Wait = %d, %v; want 7, nil", code, err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Wait")
	}
	// Output written before the exit is still matchable afterwards.
	expectOK(t, s, `EXIT`)
	if got, want := string(s.Log()), "retract 0.1 booting\ncpu0 ready\nlogin> root\nEXIT"; got != want {
		t.Errorf("Log() = %q, want %q", got, want)
	}
	// Log returns a copy.
	l := s.Log()
	l[0] = 'X'
	if s.Log()[0] != 'r' {
		t.Error("Log() aliases the session's buffer")
	}
	if _, err := s.Write([]byte("late")); !errors.Is(err, ErrExited) {
		t.Errorf("Write after exit: %v, want ErrExited", err)
	}
	s.Kill() // harmless after exit
	if code, err := s.Wait(time.Second); code != 7 || err != nil {
		t.Errorf("second Wait = %d, %v", code, err)
	}
}

func TestSessionArgs(t *testing.T) {
	useFake(t, "exit")
	s := startFake(t, Config{Kernel: "k.elf", CPUs: 3, Append: "a=b"})
	if _, err := s.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(s.Stderr()), "\n"), "\n")
	want := Args(Config{Kernel: "k.elf", CPUs: 3, Append: "a=b"}, Decision{Accel: "kvm"})
	if !slices.Equal(got, want) {
		t.Errorf("fake QEMU got\n  %q\nwant\n  %q", got, want)
	}
	if s := strings.Join(got, " "); !strings.Contains(s, "-serial stdio -monitor none") || !strings.Contains(s, "-accel kvm") {
		t.Errorf("Start args: %s", s)
	}
	if cl := s.Cmdline(); len(cl) != len(want)+1 || !slices.Equal(cl[1:], want) {
		t.Errorf("Cmdline() = %q", cl)
	}
}

func TestSessionExitBeforeMatch(t *testing.T) {
	useFake(t, "exit", "FAKE_QEMU_BANNER=early boot\nPANIC: out of memory\n",
		"FAKE_QEMU_STDERR=qemu-system-x86_64: something went wrong\n", "FAKE_QEMU_EXIT=3")
	s := startFake(t, Config{})
	start := time.Now()
	_, err := s.Expect(regexp.MustCompile(`login> `), 20*time.Second)
	if !errors.Is(err, ErrExited) {
		t.Fatalf("err = %v, want ErrExited", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("Expect waited for its timeout although QEMU had exited")
	}
	for _, want := range []string{"status 3", "PANIC: out of memory", "something went wrong", `login> `} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if code, err := s.Wait(time.Second); code != 3 || err != nil {
		t.Errorf("Wait = %d, %v; want 3, nil", code, err)
	}
}

func TestSessionWaitTimeoutKills(t *testing.T) {
	useFake(t, "hang", "FAKE_QEMU_BANNER=spinning\n")
	s := startFake(t, Config{})
	expectOK(t, s, "spinning")
	start := time.Now()
	code, err := s.Wait(300 * time.Millisecond)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait err = %v, want a timeout that says it killed QEMU", err)
	}
	if code != -1 {
		t.Errorf("Wait code = %d, want -1 for a killed QEMU", code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Wait took %v", d)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after a Wait timeout")
	}
}

func TestSessionKill(t *testing.T) {
	useFake(t, "hang")
	s := startFake(t, Config{})
	s.Kill()
	code, err := s.Wait(10 * time.Second)
	if code != -1 || err == nil || errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "signal") {
		t.Errorf("Wait after Kill = %d, %v; want -1 and a signal error", code, err)
	}
}

func TestSessionContextCancel(t *testing.T) {
	useFake(t, "hang")
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		s.Kill()
		t.Fatal("cancelling the context did not stop QEMU")
	}
}

func TestSessionExpectTimeoutWithEmptyLog(t *testing.T) {
	useFake(t, "hang")
	s := startFake(t, Config{})
	_, err := s.Expect(regexp.MustCompile("x"), 100*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "serial log is empty") {
		t.Errorf("err = %v", err)
	}
}

func TestSessionBigOutput(t *testing.T) {
	var banner strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&banner, "line %d of boot noise\n", i)
	}
	banner.WriteString("READY\n")
	useFake(t, "echo", "FAKE_QEMU_BANNER="+banner.String())
	s := startFake(t, Config{})
	expectOK(t, s, `READY\n`)
	if got := len(s.Log()); got != banner.Len() {
		t.Errorf("log has %d bytes, want %d", got, banner.Len())
	}
	_, err := s.Expect(regexp.MustCompile("never"), 100*time.Millisecond)
	if err == nil {
		t.Fatal("matched never")
	}
	msg := err.Error()
	if !strings.Contains(msg, "line 4999 of boot noise\nREADY") {
		t.Errorf("tail lacks the last lines:\n%s", msg)
	}
	if strings.Contains(msg, "line 10 of") || len(msg) > 4096 {
		t.Errorf("tail is not a tail (%d bytes)", len(msg))
	}
}

func TestStartErrors(t *testing.T) {
	useFake(t, "exit")
	if _, err := Start(context.Background(), Config{CPUs: 9}); err == nil {
		t.Error("Start accepted 9 CPUs")
	}
	if _, err := Start(context.Background(), Config{Machine: "pc"}); err == nil {
		t.Error("Start accepted machine pc")
	}

	hostProbe = func() HostProbe { return fakeProbe(true, modsPVM, nil) }
	if _, err := Start(context.Background(), Config{Accel: "kvm"}); err == nil || !strings.Contains(err.Error(), "kvm_pvm") {
		t.Errorf("kvm on a kvm_pvm host: %v", err)
	}
	s := startFake(t, Config{})
	if d := s.Decision(); d.Accel != "tcg" || !strings.Contains(d.Reason, "kvm_pvm") {
		t.Errorf("auto on a kvm_pvm host: %v", d)
	}

	findBinary = func() (string, error) { return "", errors.New("no qemu here") }
	if _, err := Start(context.Background(), Config{Accel: "tcg"}); err == nil || err.Error() != "no qemu here" {
		t.Errorf("missing binary: %v", err)
	}
	findBinary = func() (string, error) { return "/nonexistent/qemu", nil }
	if _, err := Start(context.Background(), Config{Accel: "tcg"}); err == nil {
		t.Error("started a nonexistent binary")
	}
}

func TestTail(t *testing.T) {
	if got := string(tail([]byte("a\nb\n"))); got != "a\nb" {
		t.Errorf("short: %q", got)
	}
	var b bytes.Buffer
	for i := range 100 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	got := string(tail(b.Bytes()))
	if lines := strings.Split(got, "\n"); len(lines) != tailLines || lines[len(lines)-1] != "99" {
		t.Errorf("tail of 100 lines: %q", got)
	}
	long := bytes.Repeat([]byte("x"), 10000)
	if got := tail(long); len(got) != tailBytes {
		t.Errorf("tail of one long line has %d bytes", len(got))
	}
}
