package main

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// cpuMaskWords is the size of the affinity masks used (1024 CPUs).
const cpuMaskWords = 16

// startMask is the affinity mask mmbench started with; unpin restores it.
var startMask [cpuMaskWords]uint64

// allowedCPUs returns the CPUs in this thread's affinity mask
// (sched_getaffinity), in increasing order, and remembers the mask.
func allowedCPUs() ([]int, error) {
	mask := &startMask
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

// pin locks the calling goroutine to its OS thread and that thread to
// cpu (sched_setaffinity on thread 0 = the caller). Call unpin when done.
func pin(cpu int) error {
	runtime.LockOSThread()
	var mask [cpuMaskWords]uint64
	if cpu < 0 || cpu >= 64*cpuMaskWords {
		runtime.UnlockOSThread()
		return fmt.Errorf("cpu %d out of range", cpu)
	}
	mask[cpu/64] = 1 << (cpu % 64)
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
	if errno != 0 {
		runtime.UnlockOSThread()
		return fmt.Errorf("sched_setaffinity(cpu %d): %v", cpu, errno)
	}
	return nil
}

// unpin gives the thread back the mask mmbench started with and unlocks
// it, so that Go's scheduler does not inherit a pinned thread.
func unpin() {
	_, _, _ = syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(startMask), uintptr(unsafe.Pointer(&startMask[0])))
	runtime.UnlockOSThread()
}
