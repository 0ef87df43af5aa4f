// ownmm.go: helpers of the benchmarks that run in an address space of
// their own, and take the best of a few repetitions.

package bench

import (
	"runtime"

	"retract/mm"
)

// withOwnMM runs f on a fresh goroutine locked to its kernel thread, with
// a new address space loaded (m.Use, so its flushes reach this CPU as a
// program's do), and destroys the address space afterwards. A fresh
// goroutine, not the caller's: the benchmarks run on the main goroutine,
// whose thread is the boot CPU's first one, where a trip to ring 3
// measured four times slower.
func withOwnMM(f func(m *mm.MM) error) error {
	errc := make(chan error)
	go func() {
		m, err := mm.New()
		if err != nil {
			errc <- err
			return
		}
		runtime.LockOSThread()
		m.Use()
		err = f(m)
		m.Unuse()
		m.Destroy()
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// bestOf runs f reps times and returns its smallest result: on a noisy
// host, the run that was disturbed least.
func bestOf(reps int, f func() (float64, error)) (float64, error) {
	var best float64
	for rep := 0; rep < reps; rep++ {
		v, err := f()
		if err != nil {
			return 0, err
		}
		if rep == 0 || v < best {
			best = v
		}
	}
	return best, nil
}
