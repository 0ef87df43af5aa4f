//go:build linux

package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// Errors wrapped by Session methods, for errors.Is.
var (
	// ErrTimeout: Expect or Wait ran out of time.
	ErrTimeout = errors.New("timeout")
	// ErrExited: QEMU exited before Expect matched or Write was called.
	ErrExited = errors.New("qemu exited")
)

// Session is a running QEMU whose serial console is a pipe (stdin/stdout of QEMU).
//
// All methods are safe for concurrent use. QEMU's own stderr (error
// messages about the command line, the kernel file, the accelerator) is
// kept apart from the serial log; see [Session.Stderr].
type Session struct {
	cmd      *exec.Cmd
	argv     []string
	decision Decision

	wmu   sync.Mutex // serialises writes to stdin
	stdin io.WriteCloser

	mu      sync.Mutex
	log     []byte        // serial output so far
	stderr  []byte        // QEMU's stderr so far
	pos     int           // offset in log just after the previous Expect match
	changed chan struct{} // closed and replaced whenever log grows

	done chan struct{} // closed after cmd.Wait returned and all output was collected
}

// Start runs QEMU for cfg (see [Args]) with the guest's serial console on
// QEMU's stdin/stdout. It validates cfg, chooses the accelerator from the
// host (see [ChooseAccel]) and locates the binary (see [Binary]); it prints
// nothing. Cancelling ctx kills QEMU.
func Start(ctx context.Context, cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	d, err := ChooseAccel(cfg.Accel, hostProbe())
	if err != nil {
		return nil, err
	}
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	args := Args(cfg, d)

	s := &Session{
		argv:     append([]string{bin}, args...),
		decision: d,
		changed:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = serialSink{s}
	cmd.Stderr = stderrSink{s}
	// If QEMU dies but something it spawned keeps the pipes open, give up
	// on the output after a while instead of hanging in Wait.
	cmd.WaitDelay = 2 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.cmd = cmd
	s.stdin = stdin
	go func() {
		cmd.Wait() // the outcome is read from cmd.ProcessState
		close(s.done)
	}()
	return s, nil
}

type serialSink struct{ s *Session }

func (w serialSink) Write(p []byte) (int, error) {
	s := w.s
	s.mu.Lock()
	s.log = append(s.log, p...)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	return len(p), nil
}

type stderrSink struct{ s *Session }

func (w stderrSink) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	w.s.stderr = append(w.s.stderr, p...)
	w.s.mu.Unlock()
	return len(p), nil
}

// Decision returns the accelerator decision Start made.
func (s *Session) Decision() Decision { return s.decision }

// Cmdline returns QEMU's full argv, binary first (a copy).
func (s *Session) Cmdline() []string { return append([]string(nil), s.argv...) }

// Write sends p to the guest's serial input. It fails with [ErrExited]
// once QEMU has exited.
func (s *Session) Write(p []byte) (int, error) {
	select {
	case <-s.done:
		return 0, fmt.Errorf("write to serial: %w", ErrExited)
	default:
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	n, err := s.stdin.Write(p)
	if err != nil {
		return n, fmt.Errorf("write to serial: %w", err)
	}
	return n, nil
}

// Expect waits until the serial output after the previous Expect's match
// (or from the start, for the first call) matches re, and returns the
// match and its submatches as [regexp.Regexp.FindStringSubmatch] would.
// The next Expect looks only after the end of this match.
//
// If timeout passes first (timeout <= 0 means no limit) the error wraps
// [ErrTimeout]; if QEMU exits first it wraps [ErrExited]. Both errors
// include the tail of the serial log, and QEMU's stderr if any.
func (s *Session) Expect(re *regexp.Regexp, timeout time.Duration) (match []string, err error) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		// Sample done before looking: once done is closed all of QEMU's
		// output is in the log, so a miss after that is final.
		exited := s.exited()

		s.mu.Lock()
		rest := s.log[s.pos:]
		if loc := re.FindSubmatchIndex(rest); loc != nil {
			match = make([]string, len(loc)/2)
			for i := range match {
				if loc[2*i] >= 0 {
					match[i] = string(rest[loc[2*i]:loc[2*i+1]])
				}
			}
			s.pos += loc[1]
			s.mu.Unlock()
			return match, nil
		}
		changed := s.changed
		s.mu.Unlock()

		if exited {
			code, _ := s.result()
			return nil, fmt.Errorf("%w (status %d) before the serial output matched %q%s", ErrExited, code, re, s.tails())
		}
		select {
		case <-changed:
		case <-s.done:
		case <-expired:
			return nil, fmt.Errorf("%w after %v waiting for the serial output to match %q%s", ErrTimeout, timeout, re, s.tails())
		}
	}
}

func (s *Session) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

const (
	tailBytes = 2048
	tailLines = 25
)

// tail returns the last lines of b: at most tailLines lines and roughly
// tailBytes bytes.
func tail(b []byte) []byte {
	if len(b) > tailBytes {
		b = b[len(b)-tailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	b = bytes.TrimRight(b, "\n")
	n := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n++
			if n == tailLines {
				return b[i+1:]
			}
		}
	}
	return b
}

// tails formats the tails of the serial log and of QEMU's stderr for an
// error message.
func (s *Session) tails() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	if len(s.log) == 0 {
		b.WriteString("\n--- serial log is empty ---")
	} else {
		b.WriteString("\n--- serial log tail ---\n")
		b.Write(tail(s.log))
		b.WriteString("\n--- end of serial log ---")
	}
	if len(s.stderr) > 0 {
		b.WriteString("\n--- qemu stderr ---\n")
		b.Write(tail(s.stderr))
		b.WriteString("\n--- end of qemu stderr ---")
	}
	return b.String()
}

// result returns QEMU's exit status once done is closed: the status for a
// normal exit (including isa-debug-exit's (v<<1)|1), or -1 and an error
// if QEMU was killed by a signal.
func (s *Session) result() (int, error) {
	ps := s.cmd.ProcessState
	if ps == nil {
		return -1, errors.New("qemu: no exit status")
	}
	if ps.Exited() {
		return ps.ExitCode(), nil
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, fmt.Errorf("qemu was terminated by signal %v", ws.Signal())
	}
	return -1, fmt.Errorf("qemu ended abnormally: %v", ps)
}

// Wait waits for QEMU to exit and returns its exit status; the error is
// nil for any normal exit, whatever the status. If timeout passes first
// (timeout <= 0 means no limit) Wait kills QEMU and returns an error
// wrapping [ErrTimeout] that says so. If QEMU was killed (by Kill, by the
// context or by anyone else) the status is -1 and the error names the
// signal.
func (s *Session) Wait(timeout time.Duration) (exitCode int, err error) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-s.done:
		return s.result()
	case <-expired:
		s.Kill()
		<-s.done
		code, _ := s.result()
		return code, fmt.Errorf("%w: qemu did not exit within %v, so it was killed", ErrTimeout, timeout)
	}
}

// Kill kills QEMU (SIGKILL) if it is still running. It does not wait;
// see Wait and Done.
func (s *Session) Kill() {
	if !s.exited() {
		s.cmd.Process.Kill()
	}
}

// Log returns the whole serial output so far (a copy).
func (s *Session) Log() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.log)
}

// Stderr returns QEMU's own stderr output so far (a copy).
func (s *Session) Stderr() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.stderr)
}

// Done returns a channel that is closed when QEMU has exited and all its
// output has been collected.
func (s *Session) Done() <-chan struct{} { return s.done }
