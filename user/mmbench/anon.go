package main

import (
	"fmt"
	"sync"
	"syscall"
	"time"
)

// Anonymous page faults, like will-it-scale's page_fault1: each thread
// maps 128 MiB of private anonymous memory, writes one byte in every
// 4 KiB page (one fault each), unmaps it, and repeats for the run's
// duration (once with -quick). The time includes mmap and munmap (freeing
// the pages), as in page_fault1. MADV_NOHUGEPAGE keeps the faults 4 KiB
// whatever the THP setting.

const anonMapSize = 128 << 20

// anonSize is the per-thread mapping: 128 MiB, or less if that many
// threads would take more than three quarters of MemAvailable.
func anonSize(e *env, threads int) int {
	size := anonMapSize
	if avail, ok := memAvailable(); ok && int64(threads)*int64(size) > avail*3/4 {
		size = int(avail*3/4/int64(threads)) &^ (hugeSize - 1)
		if size < hugeSize {
			size = hugeSize
		}
		e.note("anon faults: %d threads x 128 MiB would not fit in MemAvailable %d MiB; using %d MiB each", threads, avail>>20, size>>20)
	}
	return size
}

// anonWorker runs the fault loop pinned to cpu after start is closed and
// returns the faults taken and the time they took.
func anonWorker(cpu, size int, d time.Duration, start <-chan struct{}) (faults int64, elapsed time.Duration, err error) {
	if err := pin(cpu); err != nil {
		return 0, 0, err
	}
	defer unpin()
	<-start
	t0 := time.Now()
	for {
		b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
		if err != nil {
			return 0, 0, fmt.Errorf("mmap %d MiB: %v", size>>20, err)
		}
		if err := syscall.Madvise(b, syscall.MADV_NOHUGEPAGE); err != nil {
			return 0, 0, fmt.Errorf("madvise(MADV_NOHUGEPAGE): %v", err)
		}
		touch(b)
		if err := syscall.Munmap(b); err != nil {
			return 0, 0, fmt.Errorf("munmap: %v", err)
		}
		faults += int64(size / pageSize)
		if elapsed = time.Since(t0); elapsed >= d {
			return faults, elapsed, nil
		}
	}
}

// anonFaults runs one worker per CPU in cpus at once and returns the mean
// per-thread rate in faults per second.
func anonFaults(e *env, cpus []int) (float64, error) {
	size := anonSize(e, len(cpus))
	start := make(chan struct{})
	rates := make([]float64, len(cpus))
	errs := make([]error, len(cpus))
	var wg sync.WaitGroup
	for i, cpu := range cpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, d, err := anonWorker(cpu, size, e.duration(), start)
			errs[i] = err
			if err == nil {
				rates[i] = float64(f) / d.Seconds()
			}
		}()
	}
	close(start)
	wg.Wait()
	sum := 0.0
	for i := range cpus {
		if errs[i] != nil {
			return 0, fmt.Errorf("thread on cpu %d: %v", cpus[i], errs[i])
		}
		sum += rates[i]
	}
	return sum / float64(len(cpus)), nil
}

func anonFault1(e *env) (float64, error) { return anonFaults(e, e.cpus[:1]) }

func anonFaultAll(e *env) (float64, error) { return anonFaults(e, e.cpus) }
