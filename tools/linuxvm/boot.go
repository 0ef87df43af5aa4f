package linuxvm

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"retract/qemu"
)

// Append is the kernel command line every Linux run starts with (see the
// package doc).
const Append = "transparent_hugepage=madvise quiet"

// Run describes one boot.
type Run struct {
	// Guest is qemu.GuestLinux (the default) or qemu.GuestRetract: the
	// same image on retract's kernel, on the same machine (q35). A
	// retract guest gets none of Linux's command line (Append): its
	// Append must say init=/bin/init, as retract runs no /init by itself.
	Guest   string
	Kernel  string // bzImage, or retract's kernel.elf
	Initrd  string // from BuildImage
	CPUs    int
	MemMB   int
	Accel   string        // auto, kvm or tcg
	Append  string        // more kernel command line, after Append
	Timeout time.Duration // for the whole boot; QEMU is killed after it
	Echo    io.Writer     // if set, serial lines are copied here as they arrive
}

// Outcome is what a boot produced.
type Outcome struct {
	Log        []byte
	Decision   qemu.Decision
	Cmdline    []string
	QEMUStatus int
	Status     Status        // from init's marker
	ToInit     time.Duration // host time from starting QEMU to init's "running" line (0 if never)
	Wall       time.Duration // host time from starting QEMU to its exit
}

var initLine = regexp.MustCompile(`init: running `)

// Boot boots r.Kernel with r.Initrd (on q35, either guest) and waits until QEMU exits (init
// powers off after its command) or the timeout passes. The error is
// about QEMU itself; the program's result is in Outcome.Status.
func Boot(ctx context.Context, r Run) (*Outcome, error) {
	cfg := qemu.Config{
		Guest:   qemu.GuestLinux,
		Machine: qemu.MachineQ35,
		Kernel:  r.Kernel,
		Initrd:  r.Initrd,
		CPUs:    r.CPUs,
		MemMB:   r.MemMB,
		Accel:   r.Accel,
		Append:  strings.TrimSpace(Append + " " + r.Append),
	}
	if r.Guest == qemu.GuestRetract {
		cfg.Guest = qemu.GuestRetract
		cfg.Append = strings.TrimSpace(r.Append)
	}
	t0 := time.Now()
	s, err := qemu.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	o := &Outcome{Decision: s.Decision(), Cmdline: s.Cmdline()}
	toInit := make(chan time.Duration, 1)
	go func() {
		if _, err := s.Expect(initLine, 0); err == nil {
			toInit <- time.Since(t0)
		}
		close(toInit)
	}()
	var echoDone chan struct{}
	if r.Echo != nil {
		echoDone = make(chan struct{})
		go echo(s, r.Echo, echoDone)
	}
	code, err := s.Wait(r.Timeout)
	o.Wall = time.Since(t0)
	o.ToInit = <-toInit
	if echoDone != nil {
		<-echoDone
	}
	o.Log = s.Log()
	o.QEMUStatus = code
	o.Status = Marker(o.Log)
	if err != nil {
		return o, fmt.Errorf("qemu: %v", err)
	}
	if len(s.Stderr()) > 0 && code != 0 {
		return o, fmt.Errorf("qemu exited with status %d: %s", code, strings.TrimSpace(string(s.Stderr())))
	}
	return o, nil
}

// echo copies the serial output to w line by line until QEMU exits.
func echo(s *qemu.Session, w io.Writer, done chan<- struct{}) {
	defer close(done)
	var sent int
	for {
		select {
		case <-s.Done():
			log := s.Log()
			w.Write(log[sent:])
			return
		case <-time.After(200 * time.Millisecond):
		}
		log := s.Log()
		if i := strings.LastIndexByte(string(log[sent:]), '\n'); i >= 0 {
			w.Write(log[sent : sent+i+1])
			sent += i + 1
		}
	}
}
