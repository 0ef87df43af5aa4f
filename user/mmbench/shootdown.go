package main

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// munmap with a TLB shootdown. A helper thread pinned to a second CPU
// keeps reading an anchor page of the same mm in a loop, so that CPU is
// running the mm (it is in mm_cpumask and not lazy): every munmap must
// then invalidate its TLB, on Linux with an IPI, and wait for it. The
// main thread, pinned to the first CPU, maps 512 pages, touches them, and
// unmaps them one page per munmap; the mean time of those munmaps is the
// result.

const shootdownPages = 512

func munmapShootdown(e *env) (float64, error) {
	if len(e.cpus) < 2 {
		return 0, e.skip("needs 2 CPUs")
	}
	anchor, err := syscall.Mmap(-1, 0, pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return 0, fmt.Errorf("mmap anchor: %v", err)
	}
	defer syscall.Munmap(anchor)
	word := (*uint32)(unsafe.Pointer(&anchor[0]))
	atomic.StoreUint32(word, 1)

	var stop, running atomic.Bool
	helperErr := make(chan error, 1)
	go func() {
		if err := pin(e.cpus[1]); err != nil {
			helperErr <- err
			return
		}
		defer unpin()
		running.Store(true)
		var reads uint64
		for !stop.Load() {
			reads += uint64(atomic.LoadUint32(word))
		}
		if reads == 0 {
			helperErr <- fmt.Errorf("helper never ran")
			return
		}
		helperErr <- nil
	}()
	defer func() {
		stop.Store(true)
	}()

	if err := pin(e.cpus[0]); err != nil {
		return 0, err
	}
	defer unpin()
	for !running.Load() {
		select {
		case err := <-helperErr:
			return 0, fmt.Errorf("helper thread: %v", err)
		default:
			time.Sleep(time.Millisecond)
		}
	}

	var busy time.Duration
	var unmaps int
	for unmaps == 0 || busy < e.duration() {
		r, err := mapAligned(shootdownPages * pageSize)
		if err != nil {
			return 0, err
		}
		touch(r.mem)
		t0 := time.Now()
		for i := 0; i < shootdownPages; i++ {
			if err := r.unmapPage(i * pageSize); err != nil {
				r.free()
				return 0, err
			}
		}
		busy += time.Since(t0)
		unmaps += shootdownPages
		r.free()
	}
	stop.Store(true)
	if err := <-helperErr; err != nil {
		return 0, fmt.Errorf("helper thread: %v", err)
	}
	return float64(busy.Nanoseconds()) / 1e3 / float64(unmaps), nil
}
