package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const (
	pageSize = 4096
	hugeSize = 2 << 20

	madvCollapse   = 25 // MADV_COLLAPSE (Linux 6.1)
	sysMemfdCreate = 319
)

// region is an anonymous reservation from mmap with a 2 MiB-aligned
// window of the requested size inside it. All memory mmbench touches is
// reached through Go slices of such mappings (no uintptr arithmetic).
type region struct {
	whole []byte // what mmap returned (munmapped as a whole by free)
	mem   []byte // the aligned window
}

// mapAligned reserves size bytes of private anonymous read-write memory
// at a 2 MiB-aligned address.
func mapAligned(size int) (*region, error) {
	whole, err := syscall.Mmap(-1, 0, size+hugeSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %v", size+hugeSize, err)
	}
	addr := uintptr(unsafe.Pointer(&whole[0]))
	off := int((hugeSize - addr%hugeSize) % hugeSize)
	return &region{whole: whole, mem: whole[off : off+size]}, nil
}

// mapFileFixed replaces the aligned window of r with a MAP_SHARED
// mapping of fd from offset 0 (mmap with MAP_FIXED).
func (r *region) mapFileFixed(fd int) error {
	_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, uintptr(unsafe.Pointer(&r.mem[0])), uintptr(len(r.mem)),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_FIXED, uintptr(fd), 0)
	if errno != 0 {
		return fmt.Errorf("mmap memfd MAP_FIXED: %v", errno)
	}
	return nil
}

// unmapPage munmaps the page at byte offset off of the window.
func (r *region) unmapPage(off int) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MUNMAP, uintptr(unsafe.Pointer(&r.mem[off])), pageSize, 0)
	if errno != 0 {
		return fmt.Errorf("munmap: %v", errno)
	}
	return nil
}

func (r *region) free() error {
	return syscall.Munmap(r.whole)
}

// touch writes one byte in every page of b: a write fault on each page
// that is not yet mapped writable.
func touch(b []byte) {
	for i := 0; i < len(b); i += pageSize {
		b[i] = byte(i >> 12)
	}
}

// fill writes a pattern that check can verify into every page of b.
func fill(b []byte, seed byte) {
	for i := 0; i < len(b); i += pageSize {
		b[i] = byte(i>>12) ^ seed
		b[i+pageSize-1] = byte(i>>20) ^ seed
	}
}

func check(b []byte, seed byte) error {
	for i := 0; i < len(b); i += pageSize {
		if b[i] != byte(i>>12)^seed || b[i+pageSize-1] != byte(i>>20)^seed {
			return fmt.Errorf("data at offset %#x changed", i)
		}
	}
	return nil
}

// memfd creates a memfd of size bytes (memfd_create + ftruncate).
func memfd(size int) (int, error) {
	name := []byte("mmbench\x00")
	fd, _, errno := syscall.Syscall(sysMemfdCreate, uintptr(unsafe.Pointer(&name[0])), 0, 0)
	if errno != 0 {
		return -1, fmt.Errorf("memfd_create: %v", errno)
	}
	if err := syscall.Ftruncate(int(fd), int64(size)); err != nil {
		syscall.Close(int(fd))
		return -1, fmt.Errorf("ftruncate memfd to %d: %v", size, err)
	}
	return int(fd), nil
}

// memAvailable returns MemAvailable from /proc/meminfo in bytes, or
// false when it cannot be read (a kernel without /proc).
func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			fields := strings.Fields(v)
			if len(fields) == 2 && fields[1] == "kB" {
				if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return n << 10, true
				}
			}
		}
	}
	return 0, false
}

// anonHugeKB returns the AnonHugePages and ShmemPmdMapped (FilePmdMapped)
// kB of the mapping that contains b, from /proc/self/smaps; ok is false
// when smaps cannot be read or has no such mapping.
func hugeKB(b []byte) (kb int64, ok bool) {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, false
	}
	return parseSmapsHuge(string(data), uint64(uintptr(unsafe.Pointer(&b[0]))))
}

// parseSmapsHuge sums AnonHugePages, ShmemPmdMapped and FilePmdMapped of
// the smaps entry whose range contains addr.
func parseSmapsHuge(smaps string, addr uint64) (int64, bool) {
	in, found := false, false
	var kb int64
	for _, l := range strings.Split(smaps, "\n") {
		if lo, hi, ok := parseRange(l); ok {
			in = lo <= addr && addr < hi
			found = found || in
			continue
		}
		if !in {
			continue
		}
		for _, key := range []string{"AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:"} {
			if v, ok := strings.CutPrefix(l, key); ok {
				f := strings.Fields(v)
				if len(f) >= 1 {
					n, _ := strconv.ParseInt(f[0], 10, 64)
					kb += n
				}
			}
		}
	}
	return kb, found
}

// parseRange parses the "lo-hi perms ..." header line of an smaps entry.
func parseRange(l string) (lo, hi uint64, ok bool) {
	r, rest, ok := strings.Cut(l, " ")
	if !ok || len(rest) < 4 {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		return 0, 0, false
	}
	lo, err1 := strconv.ParseUint(a, 16, 64)
	hi, err2 := strconv.ParseUint(b, 16, 64)
	return lo, hi, err1 == nil && err2 == nil
}
