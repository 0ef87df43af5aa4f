// syscall.go: the syscall suite — each emulated system call's edge cases,
// called the way the Go runtime calls them (raw SYSCALL, -errno in RAX),
// compared with what Linux answers.

package suites

import (
	"syscall"
	"time"
	"unsafe"

	"retract/arch/amd64"
	"retract/kernel/ktest"
	"retract/kernel/sys"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "syscall",
		Doc:  "edge cases of every emulated system call",
		Cases: []ktest.Case{
			{Name: "write_read", Fn: testWriteRead},
			{Name: "mmap_munmap", Fn: testMmap},
			{Name: "madvise_dontneed_zeroes", Fn: testMadvise},
			{Name: "mprotect", Fn: testMprotect},
			{Name: "futex", Fn: testFutex},
			{Name: "clocks", Fn: testClocks},
			{Name: "nanosleep", Fn: testNanosleep},
			{Name: "sched_getaffinity", Fn: testAffinity},
			{Name: "getrandom", Fn: testGetrandom},
			{Name: "eventfd_epoll", Fn: testEpoll},
			{Name: "files", Fn: testFiles},
			{Name: "signals", Fn: testSignals},
			{Name: "arch_prctl", Fn: testArchPrctl},
			{Name: "threads", Fn: testThreadCalls},
			{Name: "unknown", Fn: testUnknown},
		},
	})
}

func raw(nr uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var args [6]uintptr
	copy(args[:], a)
	r, _, e := syscall.RawSyscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
	return r, e
}

// expect checks that a call failed with want (0: succeeded).
func expect(t *ktest.T, what string, e, want syscall.Errno) {
	if e != want {
		t.Errorf("%s: errno %d (%v), want %d (%v)", what, e, e, want, want)
	}
}

func ptr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

func testWriteRead(t *ktest.T) {
	msg := []byte("# syscall: write(1) works\n")
	n, e := raw(syscall.SYS_WRITE, 1, ptr(&msg[0]), uintptr(len(msg)))
	expect(t, "write(1)", e, 0)
	if n != uintptr(len(msg)) {
		t.Errorf("write(1) = %d, want %d", n, len(msg))
	}
	n, e = raw(syscall.SYS_WRITE, 1, 0, 0)
	expect(t, "write(1, nil, 0)", e, 0)
	_, e = raw(syscall.SYS_WRITE, 1, 0, 5)
	expect(t, "write(1, nil, 5)", e, syscall.EFAULT)
	_, e = raw(syscall.SYS_WRITE, 1, 8, 5)
	expect(t, "write(1, page 0, 5)", e, syscall.EFAULT)
	_, e = raw(syscall.SYS_WRITE, 1, uintptr(phys.HeapEnd)-2, 5)
	expect(t, "write past the heap window", e, syscall.EFAULT)
	_, e = raw(syscall.SYS_WRITE, 99, ptr(&msg[0]), 1)
	expect(t, "write(99)", e, syscall.EBADF)
	_, e = raw(syscall.SYS_WRITE, ^uintptr(0), ptr(&msg[0]), 1)
	expect(t, "write(-1)", e, syscall.EBADF)
	var b [8]byte
	_, e = raw(syscall.SYS_READ, 42, ptr(&b[0]), 8)
	expect(t, "read(42)", e, syscall.EBADF)
	_, e = raw(syscall.SYS_READ, 0, 0, 8)
	expect(t, "read(0, nil, 8)", e, syscall.EFAULT)
	n, e = raw(syscall.SYS_READ, 0, ptr(&b[0]), 0)
	if e != 0 || n != 0 {
		t.Errorf("read(0, buf, 0) = %d, %v; want 0", n, e)
	}
}

const (
	protRW   = syscall.PROT_READ | syscall.PROT_WRITE
	anonPriv = syscall.MAP_ANON | syscall.MAP_PRIVATE
)

func testMmap(t *ktest.T) {
	_, e := raw(syscall.SYS_MMAP, 0, 0, protRW, anonPriv, ^uintptr(0), 0)
	expect(t, "mmap(len 0)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MMAP, 0, 4096, protRW, syscall.MAP_PRIVATE, 3, 0)
	expect(t, "mmap(file)", e, syscall.EBADF)
	_, e = raw(syscall.SYS_MMAP, 0, 4096, protRW, syscall.MAP_ANON, ^uintptr(0), 0)
	expect(t, "mmap(neither shared nor private)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MMAP, 0x1000, 4096, protRW, anonPriv|syscall.MAP_FIXED, ^uintptr(0), 0)
	expect(t, "mmap(MAP_FIXED below the heap window)", e, syscall.ENOMEM)
	_, e = raw(syscall.SYS_MMAP, 0, 4096, 0x100, anonPriv, ^uintptr(0), 0)
	expect(t, "mmap(bad prot)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MMAP, 0, ^uintptr(0)-10, protRW, anonPriv, ^uintptr(0), 0)
	expect(t, "mmap(huge length)", e, syscall.ENOMEM)

	free := phys.Frames.Stats().Free
	a, e := raw(syscall.SYS_MMAP, 0, 64<<10, protRW, anonPriv, ^uintptr(0), 0)
	expect(t, "mmap(64 KiB)", e, 0)
	if a&4095 != 0 || a < phys.HeapBase || a >= phys.HeapEnd {
		t.Fatalf("mmap returned %#x: not a page in the heap window", a)
	}
	mem := unsafe.Slice((*byte)(amd64.Ptr(a)), 64<<10)
	for i := range mem {
		if mem[i] != 0 {
			t.Fatalf("fresh mmap byte %d is %#x", i, mem[i])
		}
		mem[i] = 0xab
	}
	if used := free - phys.Frames.Stats().Free; used < 16 {
		t.Errorf("touching 16 pages took %d frames", used)
	}
	// MAP_FIXED over it replaces the contents with zeros.
	b, e := raw(syscall.SYS_MMAP, a, 4096, protRW, anonPriv|syscall.MAP_FIXED, ^uintptr(0), 0)
	expect(t, "mmap(MAP_FIXED)", e, 0)
	if b != a || mem[0] != 0 || mem[4096] != 0xab {
		t.Errorf("MAP_FIXED at %#x returned %#x, first page %#x, second %#x", a, b, mem[0], mem[4096])
	}
	_, e = raw(syscall.SYS_MUNMAP, a+1, 4096)
	expect(t, "munmap(unaligned)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MUNMAP, a, 0)
	expect(t, "munmap(len 0)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MUNMAP, 0x1000, 4096)
	expect(t, "munmap(outside the window)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MUNMAP, a, 64<<10)
	expect(t, "munmap", e, 0)
	if got := phys.Frames.Stats().Free; got < free-4 {
		t.Errorf("munmap did not free the frames: %d free before, %d after", free, got)
	}
}

func testMadvise(t *ktest.T) {
	a, e := raw(syscall.SYS_MMAP, 0, 8192, protRW, anonPriv, ^uintptr(0), 0)
	expect(t, "mmap", e, 0)
	p := (*[8192]byte)(amd64.Ptr(a))
	p[0], p[4096] = 1, 2
	_, e = raw(syscall.SYS_MADVISE, a, 4096, syscall.MADV_DONTNEED)
	expect(t, "madvise(DONTNEED)", e, 0)
	if p[0] != 0 || p[4096] != 2 {
		t.Errorf("after DONTNEED of page 0: %d %d, want 0 2", p[0], p[4096])
	}
	_, e = raw(syscall.SYS_MADVISE, a, 4096, 12345)
	expect(t, "madvise(bad advice)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MADVISE, a+1, 4096, syscall.MADV_HUGEPAGE)
	expect(t, "madvise(unaligned)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MADVISE, a, 4096, syscall.MADV_HUGEPAGE)
	expect(t, "madvise(HUGEPAGE)", e, 0)
	raw(syscall.SYS_MUNMAP, a, 8192)
}

func testMprotect(t *ktest.T) {
	a, _ := raw(syscall.SYS_MMAP, 0, 4096, protRW, anonPriv, ^uintptr(0), 0)
	_, e := raw(syscall.SYS_MPROTECT, a, 4096, 0x80)
	expect(t, "mprotect(bad prot)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MPROTECT, a+4, 4096, protRW)
	expect(t, "mprotect(unaligned)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_MPROTECT, a, 4096, protRW)
	expect(t, "mprotect(RW)", e, 0)
	raw(syscall.SYS_MUNMAP, a, 4096)
}

const (
	futexWaitPrivate = 128
	futexWakePrivate = 129
)

func testFutex(t *ktest.T) {
	var w uint32 = 7
	_, e := raw(syscall.SYS_FUTEX, ptr(&w), futexWaitPrivate, 6, 0)
	expect(t, "futex wait on a changed value", e, syscall.EAGAIN)
	ts := syscall.Timespec{Nsec: 2e6}
	start := time.Now()
	_, e = raw(syscall.SYS_FUTEX, ptr(&w), futexWaitPrivate, 7, ptr(&ts))
	expect(t, "futex wait 2ms", e, syscall.ETIMEDOUT)
	if d := time.Since(start); d < 2*time.Millisecond {
		t.Errorf("2ms futex timeout returned after %v", d)
	}
	_, e = raw(syscall.SYS_FUTEX, ptr(&w)+1, futexWaitPrivate, 7, 0)
	expect(t, "futex unaligned", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_FUTEX, 0, futexWaitPrivate, 7, 0)
	expect(t, "futex nil", e, syscall.EFAULT)
	bad := syscall.Timespec{Nsec: 1e9}
	_, e = raw(syscall.SYS_FUTEX, ptr(&w), futexWaitPrivate, 7, ptr(&bad))
	expect(t, "futex bad timeout", e, syscall.EINVAL)
	n, e := raw(syscall.SYS_FUTEX, ptr(&w), futexWakePrivate, 10, 0)
	if e != 0 || n != 0 {
		t.Errorf("wake with no waiters = %d, %v", n, e)
	}
	_, e = raw(syscall.SYS_FUTEX, ptr(&w), 9 /* FUTEX_WAIT_BITSET */, 7, 0)
	expect(t, "futex unsupported op", e, syscall.ENOSYS)
	// A real wait and wake between two threads.
	var word uint32
	woke := make(chan syscall.Errno)
	go func() {
		_, _, e := syscall.Syscall6(syscall.SYS_FUTEX, ptr(&word), futexWaitPrivate, 0, 0, 0, 0)
		woke <- e
	}()
	for i := 0; ; i++ {
		time.Sleep(time.Millisecond)
		n, _ := raw(syscall.SYS_FUTEX, ptr(&word), futexWakePrivate, 1, 0)
		if n == 1 {
			break
		}
		if i > 5000 {
			t.Fatalf("the waiter never blocked")
		}
	}
	if e := <-woke; e != 0 {
		t.Errorf("woken waiter returned %v", e)
	}
}

func testClocks(t *ktest.T) {
	var a, b syscall.Timespec
	_, e := raw(syscall.SYS_CLOCK_GETTIME, 1, ptr(&a))
	expect(t, "clock_gettime(MONOTONIC)", e, 0)
	for i := 0; i < 1000; i++ {
		raw(syscall.SYS_CLOCK_GETTIME, 1, ptr(&b))
		if b.Nano() < a.Nano() {
			t.Fatalf("CLOCK_MONOTONIC went back from %d to %d", a.Nano(), b.Nano())
		}
		a = b
	}
	raw(syscall.SYS_CLOCK_GETTIME, 0, ptr(&a))
	if y := time.Unix(a.Sec, 0).Year(); y < 2020 {
		t.Errorf("CLOCK_REALTIME says the year is %d", y)
	}
	_, e = raw(syscall.SYS_CLOCK_GETTIME, 99, ptr(&a))
	expect(t, "clock_gettime(99)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_CLOCK_GETTIME, 1, 16)
	expect(t, "clock_gettime(bad pointer)", e, syscall.EFAULT)
	_, e = raw(syscall.SYS_CLOCK_GETRES, 1, ptr(&a))
	if e != 0 || a.Sec != 0 || a.Nsec != 1 {
		t.Errorf("clock_getres = %v, %v", a, e)
	}
	var tv syscall.Timeval
	_, e = raw(syscall.SYS_GETTIMEOFDAY, ptr(&tv), 0)
	if e != 0 || tv.Sec < a.Sec {
		t.Errorf("gettimeofday = %v, %v", tv, e)
	}
}

func testNanosleep(t *ktest.T) {
	ts := syscall.Timespec{Nsec: 3e6}
	start := time.Now()
	_, e := raw(syscall.SYS_NANOSLEEP, ptr(&ts), 0)
	expect(t, "nanosleep(3ms)", e, 0)
	if d := time.Since(start); d < 3*time.Millisecond {
		t.Errorf("nanosleep(3ms) returned after %v", d)
	}
	bad := syscall.Timespec{Sec: -1}
	_, e = raw(syscall.SYS_NANOSLEEP, ptr(&bad), 0)
	expect(t, "nanosleep(-1s)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_NANOSLEEP, 0, 0)
	expect(t, "nanosleep(nil)", e, syscall.EFAULT)
	abs := syscall.Timespec{}
	_, e = raw(syscall.SYS_CLOCK_NANOSLEEP, 1, 1 /* TIMER_ABSTIME */, ptr(&abs), 0)
	expect(t, "clock_nanosleep(absolute, in the past)", e, 0)
}

func testAffinity(t *ktest.T) {
	var mask [2]uint64
	n, e := raw(syscall.SYS_SCHED_GETAFFINITY, 0, 16, ptr(&mask[0]))
	expect(t, "sched_getaffinity", e, 0)
	if n != 8 || mask[0] != 1<<sys.NumCPUs-1 {
		t.Errorf("sched_getaffinity = %d, mask %#x; want 8, %#x", n, mask[0], 1<<sys.NumCPUs-1)
	}
	_, e = raw(syscall.SYS_SCHED_GETAFFINITY, 0, 4, ptr(&mask[0]))
	expect(t, "sched_getaffinity(4 bytes)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_SCHED_GETAFFINITY, 99999, 8, ptr(&mask[0]))
	expect(t, "sched_getaffinity(no such pid)", e, syscall.ESRCH)
}

func testGetrandom(t *ktest.T) {
	var a, b [64]byte
	n, e := raw(318, ptr(&a[0]), 64, 0)
	if e != 0 || n != 64 {
		t.Fatalf("getrandom = %d, %v", n, e)
	}
	raw(318, ptr(&b[0]), 64, 0)
	if a == b || a == [64]byte{} {
		t.Errorf("getrandom returned the same or zero bytes twice")
	}
	_, e = raw(318, ptr(&a[0]), 64, 0x80)
	expect(t, "getrandom(bad flags)", e, syscall.EINVAL)
}

func testEpoll(t *ktest.T) {
	ep, e := raw(syscall.SYS_EPOLL_CREATE1, syscall.EPOLL_CLOEXEC)
	expect(t, "epoll_create1", e, 0)
	defer raw(syscall.SYS_CLOSE, ep)
	efd, e := raw(290, 0, 0x800 /* EFD_NONBLOCK */)
	expect(t, "eventfd2", e, 0)
	defer raw(syscall.SYS_CLOSE, efd)
	_, e = raw(syscall.SYS_EPOLL_CREATE1, 1)
	expect(t, "epoll_create1(bad flags)", e, syscall.EINVAL)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 0x1234}
	_, e = raw(syscall.SYS_EPOLL_CTL, ep, syscall.EPOLL_CTL_ADD, efd, ptr(&ev))
	expect(t, "epoll_ctl(ADD)", e, 0)
	_, e = raw(syscall.SYS_EPOLL_CTL, ep, syscall.EPOLL_CTL_ADD, efd, ptr(&ev))
	expect(t, "epoll_ctl(ADD twice)", e, syscall.EEXIST)
	_, e = raw(syscall.SYS_EPOLL_CTL, ep, syscall.EPOLL_CTL_ADD, 1, ptr(&ev))
	expect(t, "epoll_ctl(console)", e, syscall.EPERM)
	_, e = raw(syscall.SYS_EPOLL_CTL, 55, syscall.EPOLL_CTL_ADD, efd, ptr(&ev))
	expect(t, "epoll_ctl(bad epfd)", e, syscall.EBADF)

	var out [4]syscall.EpollEvent
	start := time.Now()
	n, e := raw(syscall.SYS_EPOLL_PWAIT, ep, ptr(&out[0]), 4, 5, 0)
	if e != 0 || n != 0 {
		t.Errorf("epoll_pwait on nothing = %d, %v", n, e)
	}
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Errorf("5 ms epoll timeout returned after %v", d)
	}
	var v uint64
	_, e = raw(syscall.SYS_READ, efd, ptr(&v), 8)
	expect(t, "read(empty nonblocking eventfd)", e, syscall.EAGAIN)
	v = 3
	raw(syscall.SYS_WRITE, efd, ptr(&v), 8)
	raw(syscall.SYS_WRITE, efd, ptr(&v), 8)
	n, e = raw(syscall.SYS_EPOLL_PWAIT, ep, ptr(&out[0]), 4, ^uintptr(0), 0)
	if e != 0 || n != 1 || out[0].Events&syscall.EPOLLIN == 0 || out[0].Fd != 0x1234 {
		t.Errorf("epoll_pwait = %d, %v, %+v", n, e, out[0])
	}
	v = 0
	n, e = raw(syscall.SYS_READ, efd, ptr(&v), 8)
	if e != 0 || n != 8 || v != 6 {
		t.Errorf("read(eventfd) = %d, %v, value %d; want 8, 0, 6", n, e, v)
	}
	_, e = raw(syscall.SYS_READ, efd, ptr(&v), 4)
	expect(t, "read(eventfd, 4 bytes)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_EPOLL_PWAIT, ep, ptr(&out[0]), 0, 0, 0)
	expect(t, "epoll_pwait(maxevents 0)", e, syscall.EINVAL)
	// A waiter blocked in epoll_pwait is woken by a write from another thread.
	res := make(chan uintptr)
	go func() {
		var o [1]syscall.EpollEvent
		n, _, _ := syscall.Syscall6(syscall.SYS_EPOLL_PWAIT, ep, ptr(&o[0]), 1, 10000, 0, 0)
		res <- n
	}()
	time.Sleep(5 * time.Millisecond)
	v = 1
	raw(syscall.SYS_WRITE, efd, ptr(&v), 8)
	if n := <-res; n != 1 {
		t.Errorf("blocked epoll_pwait returned %d events after a write", n)
	}
}

func testFiles(t *ktest.T) {
	path := []byte("/proc/self/cgroup\x00")
	_, e := raw(syscall.SYS_OPENAT, ^uintptr(99) /* AT_FDCWD */, ptr(&path[0]), 0, 0)
	expect(t, "openat", e, syscall.ENOENT)
	_, e = raw(syscall.SYS_OPENAT, ^uintptr(99), 0, 0, 0)
	expect(t, "openat(nil)", e, syscall.EFAULT)
	n, e := raw(syscall.SYS_FCNTL, 0, syscall.F_GETFD)
	if e != 0 || n != 0 {
		t.Errorf("fcntl(0, F_GETFD) = %d, %v", n, e)
	}
	n, e = raw(syscall.SYS_FCNTL, 2, syscall.F_GETFL)
	if e != 0 || n&syscall.O_ACCMODE != syscall.O_RDWR {
		t.Errorf("fcntl(2, F_GETFL) = %#x, %v", n, e)
	}
	_, e = raw(syscall.SYS_FCNTL, 40, syscall.F_GETFD)
	expect(t, "fcntl(bad fd)", e, syscall.EBADF)
	_, e = raw(syscall.SYS_CLOSE, 40)
	expect(t, "close(bad fd)", e, syscall.EBADF)
	_, e = raw(syscall.SYS_PREAD64, 1, 0, 0, 0)
	expect(t, "pread64(console)", e, syscall.ESPIPE)
}

func testSignals(t *ktest.T) {
	var act, old [4]uint64
	_, e := raw(syscall.SYS_RT_SIGACTION, 0, ptr(&act), 0, 8)
	expect(t, "rt_sigaction(0)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_RT_SIGACTION, 9, ptr(&act), 0, 8)
	expect(t, "rt_sigaction(SIGKILL)", e, syscall.EINVAL)
	_, e = raw(syscall.SYS_RT_SIGACTION, 10, ptr(&act), 0, 4)
	expect(t, "rt_sigaction(sigsetsize 4)", e, syscall.EINVAL)
	// The runtime's handler for SIGSEGV must read back.
	_, e = raw(syscall.SYS_RT_SIGACTION, 11, 0, ptr(&old), 8)
	if e != 0 || old[0] == 0 {
		t.Errorf("rt_sigaction(SIGSEGV) read back handler %#x, %v", old[0], e)
	}
	var set, oset uint64 = 1 << 9, 0
	_, e = raw(syscall.SYS_RT_SIGPROCMASK, 7, ptr(&set), ptr(&oset), 8)
	expect(t, "rt_sigprocmask(bad how)", e, syscall.EINVAL)
	var ss [3]uint64
	ss[0], ss[2] = 0x1000000, 100
	_, e = raw(syscall.SYS_SIGALTSTACK, ptr(&ss), 0)
	expect(t, "sigaltstack(100 bytes)", e, syscall.ENOMEM)
	ss[1] = 7
	ss[2] = 1 << 16
	_, e = raw(syscall.SYS_SIGALTSTACK, ptr(&ss), 0)
	expect(t, "sigaltstack(bad flags)", e, syscall.EINVAL)
}

func testArchPrctl(t *ktest.T) {
	var fs uint64
	_, e := raw(syscall.SYS_ARCH_PRCTL, 0x1003, ptr(&fs))
	if e != 0 || fs == 0 {
		t.Errorf("arch_prctl(GET_FS) = %#x, %v", fs, e)
	}
	_, e = raw(syscall.SYS_ARCH_PRCTL, 0x1001, 0)
	expect(t, "arch_prctl(SET_GS)", e, syscall.EPERM)
	_, e = raw(syscall.SYS_ARCH_PRCTL, 0x9999, 0)
	expect(t, "arch_prctl(bad code)", e, syscall.EINVAL)
}

func testThreadCalls(t *ktest.T) {
	tid, _ := raw(syscall.SYS_GETTID)
	if tid < 1 {
		t.Errorf("gettid = %d", tid)
	}
	_, e := raw(syscall.SYS_TGKILL, 1, tid, 0)
	expect(t, "tgkill(self, 0)", e, 0)
	_, e = raw(syscall.SYS_TGKILL, 1, 99999, 0)
	expect(t, "tgkill(no such thread)", e, syscall.ESRCH)
	_, e = raw(syscall.SYS_CLONE, 0x11 /* SIGCHLD: fork */, 0, 0, 0, 0)
	expect(t, "clone(fork)", e, syscall.EINVAL)
	pid, _ := raw(syscall.SYS_GETPID)
	if pid != 1 {
		t.Errorf("getpid = %d, want 1", pid)
	}
	var lim [2]uint64
	_, e = raw(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0, ptr(&lim))
	if e != 0 || lim[0] != 64 {
		t.Errorf("prlimit64(NOFILE) = %v, %v", lim, e)
	}
	_, e = raw(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, ptr(&lim), 0)
	expect(t, "prlimit64(set)", e, syscall.EPERM)
}

func testUnknown(t *ktest.T) {
	_, e := raw(333) // io_pgetevents: nobody here needs it
	expect(t, "syscall 333", e, syscall.ENOSYS)
	_, e = raw(100000)
	expect(t, "syscall 100000", e, syscall.ENOSYS)
}
