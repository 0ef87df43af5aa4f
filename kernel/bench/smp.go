// smp.go: benchmarks of the SMP issue.

package bench

import (
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"retract/kernel/smp"
)

func init() {
	Register(Bench{Name: "ipi_roundtrip_ns", Doc: "CallOn to another CPU and back", Run: ipiRoundtrip})
	Register(Bench{Name: "futex_pingpong_ns", Doc: "one futex wake + wait round trip between two threads", Run: futexPingPong})
	Register(Bench{Name: "parallel_speedup_2cpu", Doc: "the same CPU-bound work on 1 vs 2 goroutines", Run: speedup})
}

func nop(a, b uintptr) {}

func ipiRoundtrip(w io.Writer) error {
	if smp.Count() < 2 {
		return errors.New("needs 2 CPUs (CPUS=2)")
	}
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	const n = 2000
	best, _ := bestOf(3, func() (float64, error) {
		start := time.Now()
		for i := 0; i < n; i++ {
			// With two CPUs, exactly one remote call per iteration (CallOn
			// to "the other" CPU could race with a migration and run locally).
			smp.CallOthersOf(2, nop, 0, 0)
		}
		return float64(time.Since(start).Nanoseconds()) / n, nil
	})
	Line(w, "ipi_roundtrip_ns", best, "ns")
	return nil
}

const (
	futexWait = 128 // FUTEX_WAIT_PRIVATE
	futexWake = 129
)

func futex(addr *uint32, op, val uintptr) {
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), op, val, 0, 0, 0)
}

// PingPong runs rounds of a futex ping-pong between two OS threads: each
// round, one side flips the word and wakes the other, then waits for its
// turn. It returns the time per round trip.
func PingPong(rounds int) time.Duration {
	var word atomic.Uint32
	p := (*uint32)(unsafe.Pointer(&word))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		for i := 0; i < rounds; i++ {
			for word.Load() != 1 {
				futex(p, futexWait, 0)
			}
			word.Store(0)
			futex(p, futexWake, 1)
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	for i := 0; i < rounds; i++ {
		word.Store(1)
		futex(p, futexWake, 1)
		for word.Load() != 0 {
			futex(p, futexWait, 1)
		}
	}
	d := time.Since(start)
	wg.Wait()
	return d / time.Duration(rounds)
}

func futexPingPong(w io.Writer) error {
	Line(w, "futex_pingpong_ns", float64(PingPong(2000).Nanoseconds()), "ns")
	return nil
}

// Spin does n units of CPU-bound work.
func Spin(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

var sink atomic.Uint64

func speedup(w io.Writer) error {
	if smp.Count() < 2 {
		return errors.New("needs 2 CPUs (CPUS=2)")
	}
	const work = 200_000_000
	run := func(gs int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for g := 0; g < gs; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sink.Add(Spin(work / gs))
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	// Best of three each: the first run also pays for TCG's translation.
	one, two := min(run(1), run(1), run(1)), min(run(2), run(2), run(2))
	Line(w, "parallel_speedup_2cpu", float64(one)/float64(two), "x")
	return nil
}
