package main

import (
	"fmt"
	"syscall"
	"time"
)

// MADV_COLLAPSE (Linux 6.1) of 2 MiB ranges that are fully populated with
// 4 KiB pages: anonymous memory, and a memfd's page cache (shmem). The
// populate step relies on the THP setting "madvise" (or "never") for
// small anonymous pages — both kernels are booted with
// transparent_hugepage=madvise — and on shmem's default "never" for the
// memfd; MADV_NOHUGEPAGE cannot be used, since it also forbids the
// collapse. /proc/self/smaps, where the kernel has it, checks that the
// ranges were small before and huge after; the data is checked too.
// Only the madvise calls are timed.

func collapseRanges(e *env) int { return e.rounds(4, 32) }

func collapseAnon(e *env) (float64, error) {
	return collapseLoop(e, func(size int) (*region, func(), error) {
		r, err := mapAligned(size)
		if err != nil {
			return nil, nil, err
		}
		return r, func() { r.free() }, nil
	})
}

func collapseMemfd(e *env) (float64, error) {
	return collapseLoop(e, func(size int) (*region, func(), error) {
		fd, err := memfd(size)
		if err != nil {
			return nil, nil, err
		}
		r, err := mapAligned(size)
		if err != nil {
			syscall.Close(fd)
			return nil, nil, err
		}
		if err := r.mapFileFixed(fd); err != nil {
			r.free()
			syscall.Close(fd)
			return nil, nil, err
		}
		return r, func() { r.free(); syscall.Close(fd) }, nil
	})
}

// collapseLoop maps ranges with mapFn, populates them, collapses each
// 2 MiB range and returns the mean time per range in microseconds.
func collapseLoop(e *env, mapFn func(size int) (*region, func(), error)) (float64, error) {
	if err := pin(e.cpus[0]); err != nil {
		return 0, err
	}
	defer unpin()
	n := collapseRanges(e)
	size := n * hugeSize
	var busy time.Duration
	var collapsed int
	for round := byte(1); collapsed == 0 || busy < e.duration(); round++ {
		r, free, err := mapFn(size)
		if err != nil {
			return 0, err
		}
		d, err := collapseOnce(r.mem, round)
		free()
		if err != nil {
			return 0, err
		}
		busy += d
		collapsed += n
	}
	return float64(busy.Nanoseconds()) / 1e3 / float64(collapsed), nil
}

func collapseOnce(mem []byte, seed byte) (time.Duration, error) {
	fill(mem, seed)
	if kb, ok := hugeKB(mem); ok && kb != 0 {
		return 0, fmt.Errorf("populating gave %d kB of huge pages already (THP \"always\"? boot with transparent_hugepage=madvise)", kb)
	}
	var busy time.Duration
	for off := 0; off < len(mem); off += hugeSize {
		t0 := time.Now()
		err := syscall.Madvise(mem[off:off+hugeSize], madvCollapse)
		busy += time.Since(t0)
		if err != nil {
			return 0, fmt.Errorf("madvise(MADV_COLLAPSE) of the 2 MiB at +%#x: %v", off, err)
		}
	}
	if err := check(mem, seed); err != nil {
		return 0, fmt.Errorf("after MADV_COLLAPSE: %v", err)
	}
	if kb, ok := hugeKB(mem); ok && kb != int64(len(mem)>>10) {
		return 0, fmt.Errorf("MADV_COLLAPSE succeeded but smaps shows %d kB huge of %d kB", kb, len(mem)>>10)
	}
	return busy, nil
}
