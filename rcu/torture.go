// torture.go: an rcutorture-like stress test (Linux's kernel/rcu/rcutorture.c
// is the model). Readers on every CPU hold an element under ReadLock for a
// random short time and check it was not freed under them; writers replace
// the element and retire the old one through Call or Synchronize (or, in
// the broken variant, free it at once). A freed element is poisoned, and
// each element records when it was retired, so a reader can compute its
// "pipe" age — grace periods completed since: a reader that sees poison,
// or an age of 2 or more, has caught RCU letting a grace period end under
// a reader.

// trapctx: process context only

package rcu

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	poolSize   = 256
	poisonWord = 0x6b6b6b6b6b6b6b6b
	liveWord   = 0x1ee71ee71ee71ee7
)

type element struct {
	head  Head
	value atomic.Uint64 // liveWord while live, poisonWord once freed
	// retired is 1 + the number of completed GPs when the writer retired
	// the element (0 while it is published): its "pipe" age is
	// completed - (retired-1).
	retired atomic.Uint64
}

// TortureConfig chooses the run.
type TortureConfig struct {
	Duration time.Duration
	Readers  int    // reader goroutines (default 2 per CPU)
	Seed     uint64 // for reproducible reader hold times and writer choices
	// Broken frees retired elements at once, without waiting: the torture
	// must report errors then (that shows it has teeth).
	Broken bool
}

// TortureResult is what a run found.
type TortureResult struct {
	Reads, Writes, Frees uint64
	Errors               uint64 // poisoned or too-old elements seen by readers
	MaxPipe              uint64
	GPs                  uint64
}

type torture struct {
	pool    [poolSize]element
	current atomic.Int32 // index of the published element
	freeMu  sync.Mutex
	free    []int32
}

func (tt *torture) get() int32 {
	tt.freeMu.Lock()
	defer tt.freeMu.Unlock()
	if len(tt.free) == 0 {
		return -1
	}
	i := tt.free[len(tt.free)-1]
	tt.free = tt.free[:len(tt.free)-1]
	return i
}

func (tt *torture) put(i int32) {
	e := &tt.pool[i]
	e.value.Store(poisonWord)
	tt.freeMu.Lock()
	tt.free = append(tt.free, i)
	tt.freeMu.Unlock()
}

// Torture runs the stress test and reports what it saw.
func Torture(cfg TortureConfig) TortureResult {
	tt := &torture{}
	for i := range tt.pool {
		tt.pool[i].value.Store(poisonWord)
		if i > 0 {
			tt.free = append(tt.free, int32(i))
		}
	}
	tt.pool[0].value.Store(liveWord)
	if cfg.Readers == 0 {
		cfg.Readers = 2 * NumCPUs
	}
	var res TortureResult
	var reads, errs atomic.Uint64
	var maxPipe atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	gp0 := completed.Load()

	for r := 0; r < cfg.Readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(r)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				ReadLock()
				e := &tt.pool[tt.current.Load()]
				bad := e.value.Load() != liveWord
				spins := rng.IntN(2000)
				for i := 0; i < spins; i++ {
					if e.value.Load() != liveWord {
						bad = true
						break
					}
				}
				// The age, read inside the section: a section can overlap the
				// end of at most one GP after the element's retirement (the GP
				// that was already running when the section began).
				var age uint64
				if r := e.retired.Load(); r != 0 {
					age = completed.Load() - (r - 1)
				}
				if e.value.Load() != liveWord {
					bad = true
				}
				ReadUnlock()
				if age > maxPipe.Load() {
					maxPipe.Store(age)
				}
				if bad || age >= 2 {
					errs.Add(1)
				}
				reads.Add(1)
				if rng.IntN(8) == 0 {
					runtime.Gosched()
				}
			}
		}()
	}

	// The writer: publish a new element, retire the old one.
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(cfg.Seed, 1<<32))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			n := tt.get()
			if n < 0 {
				// All elements wait for grace periods: let them end.
				Barrier()
				continue
			}
			ne := &tt.pool[n]
			ne.retired.Store(0)
			ne.value.Store(liveWord)
			old := tt.current.Swap(n) // publishes ne (pairs with the readers' Load)
			oe := &tt.pool[old]
			oe.retired.Store(completed.Load() + 1)
			res.Writes++
			switch {
			case cfg.Broken:
				tt.put(old) // the bug: free while readers may hold it
			case rng.IntN(2) == 0:
				Synchronize()
				tt.put(old)
			default:
				Call(&oe.head, func(h *Head) { tt.put(old) })
			}
			res.Frees++
			if rng.IntN(16) == 0 {
				SynchronizeExpedited()
			}
			time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
		}
	}()
	time.Sleep(cfg.Duration)
	close(stop)
	wg.Wait()
	Barrier()
	res.Reads, res.Errors, res.MaxPipe = reads.Load(), errs.Load(), maxPipe.Load()
	res.GPs = completed.Load() - gp0
	return res
}
