package main

import (
	"fmt"
	"syscall"
	"time"
)

// memfd page-cache faults. A memfd is a shmem file: memfd_create,
// ftruncate, mmap MAP_SHARED. Only the touching loop is timed.
//
//   - first touch: every write fault allocates a page-cache page (a fresh
//     memfd each round);
//   - hit write fault: the pages are already in the page cache (touched
//     once, then munmapped); each round maps the file again and writes
//     every page, which only installs PTEs to the cached pages. The rate
//     counts a fault per page, as Linux takes; a kernel that faults
//     around on writes (retract) takes fewer, and the rate is then pages
//     written per second.
//
// MADV_NOHUGEPAGE keeps the faults 4 KiB even where shmem THP is on.

const memfdSize = 64 << 20

func memfdSizeFor(e *env) int {
	if e.quick {
		return 16 << 20
	}
	return memfdSize
}

// mapShared maps size bytes of fd MAP_SHARED, without huge pages.
func mapShared(fd, size int) ([]byte, error) {
	b, err := syscall.Mmap(fd, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap memfd: %v", err)
	}
	if err := syscall.Madvise(b, syscall.MADV_NOHUGEPAGE); err != nil {
		syscall.Munmap(b)
		return nil, fmt.Errorf("madvise(MADV_NOHUGEPAGE): %v", err)
	}
	return b, nil
}

func memfdFirstTouch(e *env) (float64, error) {
	if err := pin(e.cpus[0]); err != nil {
		return 0, err
	}
	defer unpin()
	size := memfdSizeFor(e)
	var faults int64
	var busy time.Duration
	for busy == 0 || busy < e.duration() {
		fd, err := memfd(size)
		if err != nil {
			return 0, err
		}
		b, err := mapShared(fd, size)
		if err != nil {
			syscall.Close(fd)
			return 0, err
		}
		t0 := time.Now()
		touch(b)
		busy += time.Since(t0)
		faults += int64(size / pageSize)
		syscall.Munmap(b)
		syscall.Close(fd)
	}
	return float64(faults) / busy.Seconds(), nil
}

func memfdHitWrite(e *env) (float64, error) {
	if err := pin(e.cpus[0]); err != nil {
		return 0, err
	}
	defer unpin()
	size := memfdSizeFor(e)
	fd, err := memfd(size)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	b, err := mapShared(fd, size)
	if err != nil {
		return 0, err
	}
	touch(b) // now every page is in the page cache
	syscall.Munmap(b)

	var faults int64
	var busy time.Duration
	for busy == 0 || busy < e.duration() {
		b, err := mapShared(fd, size)
		if err != nil {
			return 0, err
		}
		t0 := time.Now()
		touch(b)
		busy += time.Since(t0)
		faults += int64(size / pageSize)
		if err := syscall.Munmap(b); err != nil {
			return 0, fmt.Errorf("munmap: %v", err)
		}
	}
	return float64(faults) / busy.Seconds(), nil
}
