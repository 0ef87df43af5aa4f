package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The shared file: 2 MiB of control pages (only the first two are used),
// then the data regions, each 2 MiB and 2 MiB-aligned in the file, so
// that each can become one huge page.
const (
	pageSize       = 4096
	hugeSize       = 2 << 20
	pagesPerRegion = hugeSize / pageSize
	dataOffset     = hugeSize
	maxWorkers     = 64 // worker slots in the second control page

	madvCollapse     = 25 // MADV_COLLAPSE (Linux 6.1)
	sysMemfdCreate   = 319
	fallocPunchHole  = 0x02         // FALLOC_FL_PUNCH_HOLE
	fallocKeepSize   = 0x01         // FALLOC_FL_KEEP_SIZE
	controlMagic     = 0x3165636172 // "race1"
	waitForChildren  = 30 * time.Second
	waitForReadiness = 60 * time.Second
)

func fileSize(regions int) int { return dataOffset + regions*hugeSize }

// Words of the control pages (uint64 each). The first cache line holds
// what every worker reads on every access and the collapser rarely
// writes; the collapser's counters live in later lines.
const (
	wMagic = iota
	wStop  // 1: everyone finishes
	wRound // the round: its region is round mod regions
	wPause // non-zero: workers stop at the barrier and ack this value
	wEpoch // bumped after each reset of the file: workers expect zeros
)

// The collapser's words, from the third cache line on.
const (
	wCollapserReady  = 16 + iota // 1 once the collapser has mapped the file
	wCollapsesOK                 // madvise(MADV_COLLAPSE) returned 0
	wCollapsesFailed             // it returned an error (by errno below)
	wCollapseNanos               // time spent in madvise(MADV_COLLAPSE)
	wRounds                      // rounds completed
	wResets                      // the file's data punched out (wrap-arounds)
	wCollapserDone               // 1 once the collapser has left its loop: the file stays as it is
)

const (
	wErrno  = 64           // wErrno+e: failed collapses with errno e (e < 256)
	wWorker = pageSize / 8 // worker w's slot: 8 words (a cache line) at wWorker+8*w
)

// Fields of a worker's slot.
const (
	fReady      = iota // 1 once the worker has mapped the file
	fRound             // the round the worker is in
	fRoundAcc          // its accesses in that round
	fAck               // the pause value it stopped for
	fAccesses          // reads + writes
	fDataErrors        // reads that did not return its last write
	fFaults            // minor faults during the run (getrusage), or ^0
	fDone              // 1 when it has finished its final check
)

// control is the view of the control pages.
type control struct{ mem []byte }

func (c control) ptr(i int) *uint64     { return (*uint64)(unsafe.Pointer(&c.mem[8*i])) }
func (c control) load(i int) uint64     { return atomic.LoadUint64(c.ptr(i)) }
func (c control) store(i int, v uint64) { atomic.StoreUint64(c.ptr(i), v) }
func (c control) add(i int, d uint64)   { atomic.AddUint64(c.ptr(i), d) }
func (c control) stopped() bool         { return c.load(wStop) != 0 }
func slot(w int) int                    { return wWorker + 8*w }

// mapping is the whole file mapped MAP_SHARED at a 2 MiB-aligned address
// (inside a larger PROT_NONE reservation, so that file offset and address
// agree modulo 2 MiB, as a huge PMD mapping needs).
type mapping struct {
	whole []byte // the reservation
	mem   []byte // the file
}

func mapFile(fd, size int) (*mapping, error) {
	whole, err := syscall.Mmap(-1, 0, size+hugeSize, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mmap reservation of %d bytes: %v", size+hugeSize, err)
	}
	off := int((hugeSize - uintptr(unsafe.Pointer(&whole[0]))%hugeSize) % hugeSize)
	m := &mapping{whole: whole, mem: whole[off : off+size]}
	_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, uintptr(unsafe.Pointer(&m.mem[0])), uintptr(size),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_FIXED, uintptr(fd), 0)
	if errno != 0 {
		syscall.Munmap(whole)
		return nil, fmt.Errorf("mmap of the file (MAP_SHARED|MAP_FIXED, %d bytes): %v", size, errno)
	}
	return m, nil
}

func (m *mapping) control() control { return control{m.mem[:dataOffset]} }
func (m *mapping) data() []byte     { return m.mem[dataOffset:] }

// region returns data region i.
func (m *mapping) region(i int) []byte {
	return m.mem[dataOffset+i*hugeSize : dataOffset+(i+1)*hugeSize]
}

// adviseHuge marks the data MADV_HUGEPAGE, so that khugepaged may collapse
// it too. Errors are returned for the caller to report; they are not fatal.
func (m *mapping) adviseHuge() error {
	if err := syscall.Madvise(m.data(), syscall.MADV_HUGEPAGE); err != nil {
		return fmt.Errorf("madvise(MADV_HUGEPAGE): %v", err)
	}
	return nil
}

// createFile makes the shared file of the given kind and size.
func createFile(kind string, size int) (*os.File, error) {
	var f *os.File
	switch kind {
	case "memfd":
		name := []byte("race\x00")
		fd, _, errno := syscall.Syscall(sysMemfdCreate, uintptr(unsafe.Pointer(&name[0])), 0, 0)
		if errno != 0 {
			return nil, fmt.Errorf("memfd_create: %v", errno)
		}
		f = os.NewFile(fd, "memfd:race")
	case "tmp":
		var err error
		f, err = os.CreateTemp("/tmp", "race-*")
		if err != nil {
			return nil, err
		}
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown file kind %q", kind)
	}
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, fmt.Errorf("ftruncate to %d: %v", size, err)
	}
	return f, nil
}

// inheritedFD is where the children find the file (os/exec's ExtraFiles[0]).
const inheritedFD = 3

// mapInherited maps the file the parent passed.
func mapInherited(regions int) (*mapping, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(inheritedFD, &st); err != nil {
		return nil, fmt.Errorf("fd %d (the shared file): %v", inheritedFD, err)
	}
	if st.Size != int64(fileSize(regions)) {
		return nil, fmt.Errorf("fd %d has %d bytes, want %d", inheritedFD, st.Size, fileSize(regions))
	}
	m, err := mapFile(inheritedFD, fileSize(regions))
	if err != nil {
		return nil, err
	}
	if m.control().load(wMagic) != controlMagic {
		return nil, fmt.Errorf("fd %d: no control page", inheritedFD)
	}
	return m, nil
}

// waitUntil polls cond, yielding, then sleeping briefly, until it holds or
// the timeout passes; it reports whether cond held.
func waitUntil(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		if i < 100 {
			runtime.Gosched()
			continue
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// minorFaults is the process's minor page faults so far (getrusage), or
// false when the kernel does not say.
func minorFaults() (uint64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return uint64(ru.Minflt), true
}

// pin locks the calling goroutine to its thread and the thread to cpu.
func pin(cpu int) error {
	if cpu < 0 {
		return nil
	}
	runtime.LockOSThread()
	var mask [cpuMaskWords]uint64
	if cpu >= 64*cpuMaskWords {
		return fmt.Errorf("cpu %d out of range", cpu)
	}
	mask[cpu/64] = 1 << (cpu % 64)
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
	if errno != 0 {
		return fmt.Errorf("sched_setaffinity(cpu %d): %v", cpu, errno)
	}
	return nil
}

const cpuMaskWords = 16 // 1024 CPUs

// allowedCPUs returns the CPUs of the affinity mask, in increasing order.
func allowedCPUs() ([]int, error) {
	var mask [cpuMaskWords]uint64
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
	if errno != 0 {
		return nil, fmt.Errorf("sched_getaffinity: %v", errno)
	}
	var cpus []int
	for w, bits := range mask {
		for b := 0; b < 64; b++ {
			if bits&(1<<b) != 0 {
				cpus = append(cpus, w*64+b)
			}
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("sched_getaffinity: empty mask")
	}
	return cpus, nil
}

// errnoName is the symbolic name of the errnos a collapse may return.
func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EAGAIN:
		return "EAGAIN"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.ENOMEM:
		return "ENOMEM"
	case syscall.EBUSY:
		return "EBUSY"
	case syscall.EINTR:
		return "EINTR"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EFAULT:
		return "EFAULT"
	case syscall.ENOSYS:
		return "ENOSYS"
	case syscall.EEXIST:
		return "EEXIST"
	case syscall.EIO:
		return "EIO"
	}
	return fmt.Sprintf("errno%d", int(e))
}
