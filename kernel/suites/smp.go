// smp.go: the smp suite — every CPU is real: online, running goroutines,
// answering IPIs, sharing futexes and TLB shootdowns, surviving a GC storm.

package suites

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"retract/arch/amd64"
	"retract/boot"
	"retract/kernel/bench"
	"retract/kernel/ktest"
	"retract/kernel/sched"
	"retract/kernel/smp"
	"retract/mm/phys"
)

func init() {
	ktest.Register(ktest.Suite{
		Name: "smp",
		Doc:  "CPUs online, work on every CPU, cross-CPU futex, IPIs, TLB shootdown, GC storm, every CPU's backtrace through an NMI",
		Cases: []ktest.Case{
			{Name: "all_online", Fn: testAllOnline},
			{Name: "work_on_every_cpu", Fn: testWorkEverywhere},
			{Name: "futex_pingpong", Fn: testFutexPingPong},
			{Name: "ipi_call_each_and_all", Fn: testIPICalls},
			{Name: "tlb_shootdown", Fn: testShootdown},
			{Name: "gc_storm", Fn: testGCStorm, Timeout: 10 * time.Minute},
			{Name: "nmi_backtrace", Fn: testNMIBacktrace},
		},
	})
}

func testAllOnline(t *ktest.T) {
	want := boot.SMPReport.Requested
	if boot.SMPReport.NoACPI {
		want = 1
	}
	if n := smp.Count(); n != want || boot.SMPReport.NFailed != 0 {
		t.Errorf("%d CPUs online, want %d (MADT lists %d; %d failed to start)", n, want, boot.SMPReport.InMADT, boot.SMPReport.NFailed)
	}
	if n := runtime.NumCPU(); n != smp.Count() {
		t.Errorf("runtime.NumCPU() = %d with %d CPUs online", n, smp.Count())
	}
	time.Sleep(50 * time.Millisecond)
	seen := map[uint32]bool{}
	for id := 0; id < smp.Count(); id++ {
		c := amd64.CPUByID(id)
		if c.Online != 1 {
			t.Errorf("CPU %d is not online", id)
		}
		if seen[c.APICID] {
			t.Errorf("APIC ID %d used twice", c.APICID)
		}
		seen[c.APICID] = true
		if s := sched.CPUStats(id); s.Ticks == 0 {
			t.Errorf("CPU %d has not taken a timer tick", id)
		}
	}
	t.Logf("%d CPUs online", smp.Count())
}

// testWorkEverywhere runs a CPU-bound goroutine per CPU and counts, per
// CPU, the work units done there (read from GS: which CPU runs us now).
func testWorkEverywhere(t *ktest.T) {
	n := smp.Count()
	var counts [amd64.MaxCPUs]atomic.Uint64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				bench.Spin(20000)
				counts[amd64.This().ID].Add(1)
				runtime.Gosched()
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		all := true
		for id := 0; id < n; id++ {
			if counts[id].Load() < 50 {
				all = false
			}
		}
		if all {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	for id := 0; id < n; id++ {
		c := counts[id].Load()
		t.Logf("CPU %d: %d work units", id, c)
		if c < 50 {
			t.Errorf("CPU %d did only %d units of work", id, c)
		}
	}
}

// testFutexPingPong passes a token between two threads with futex wait and
// wake for many rounds: a lost wake-up hangs it (the case times out).
func testFutexPingPong(t *ktest.T) {
	const rounds = 3000
	var word atomic.Uint32
	p := uintptr(unsafe.Pointer(&word))
	var cross atomic.Int32
	var otherCPU atomic.Uint32
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for i := 0; i < rounds; i++ {
			for word.Load() != 1 {
				syscall.Syscall6(syscall.SYS_FUTEX, p, 128, 0, 0, 0, 0)
			}
			otherCPU.Store(amd64.This().ID)
			word.Store(0)
			syscall.Syscall6(syscall.SYS_FUTEX, p, 129, 1, 0, 0, 0)
		}
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i < rounds; i++ {
		word.Store(1)
		syscall.Syscall6(syscall.SYS_FUTEX, p, 129, 1, 0, 0, 0)
		for word.Load() != 0 {
			syscall.Syscall6(syscall.SYS_FUTEX, p, 128, 1, 0, 0, 0)
		}
		if otherCPU.Load() != amd64.This().ID {
			cross.Add(1)
		}
	}
	<-done
	t.Logf("%d of %d rounds had the two threads on different CPUs", cross.Load(), rounds)
	if smp.Count() > 1 && cross.Load() == 0 {
		t.Errorf("the two threads never ran on different CPUs")
	}
}

var ipiSeen [amd64.MaxCPUs]atomic.Uint32

func recordCPU(want, b uintptr) {
	ipiSeen[amd64.This().ID].Add(1)
	if uint32(want) != amd64.This().ID && want != ^uintptr(0) {
		ipiSeen[amd64.This().ID].Add(1000) // ran on the wrong CPU
	}
}

func testIPICalls(t *ktest.T) {
	n := smp.Count()
	for i := range ipiSeen {
		ipiSeen[i].Store(0)
	}
	for id := 0; id < n; id++ {
		smp.CallOn(id, recordCPU, uintptr(id), 0)
		if got := ipiSeen[id].Load(); got != 1 {
			t.Errorf("CallOn(%d): the function ran %d times there (1000+ = on the wrong CPU)", id, got)
		}
	}
	for i := range ipiSeen {
		ipiSeen[i].Store(0)
	}
	me := smp.CallOthers(recordCPU, ^uintptr(0), 0)
	for id := 0; id < n; id++ {
		want := uint32(1)
		if id == me {
			want = 0
		}
		if got := ipiSeen[id].Load(); got != want {
			t.Errorf("CallOthers from CPU %d: CPU %d ran it %d times, want %d", me, id, got, want)
		}
	}
	// Many callers at once, each calling every CPU: no deadlock, no loss.
	var wg sync.WaitGroup
	var calls atomic.Int64
	for g := 0; g < 2*n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				smp.CallOn((g+i)%n, recordCPU, uintptr((g+i)%n), 0)
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	for id := 0; id < n; id++ {
		if ipiSeen[id].Load() >= 1000 {
			t.Errorf("a call meant for CPU %d ran elsewhere", id)
		}
	}
}

func probeOnCPU(addr, okp uintptr) {
	_, ok := amd64.ProbeLoad(addr)
	if ok {
		(*atomic.Uint32)(amd64.Ptr(okp)).Add(1)
	}
}

// shootdownReaders counts the CPUs that could read the page. It is a
// global because its address crosses to other CPUs as a plain word: a
// local's address would be a goroutine-stack address, and the stack may
// move (grow) while the other CPUs write through the old one.
var shootdownReaders atomic.Uint32

// testShootdown maps a page, makes every CPU cache its translation, unmaps
// it, and then reads it from every CPU: each read must fault. Without the
// shootdown a CPU would still read the (freed, poisoned) frame through its
// stale TLB entry.
func testShootdown(t *ktest.T) {
	n := smp.Count()
	for round := 0; round < 20; round++ {
		a, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
		if e != 0 {
			t.Fatalf("mmap: %v", e)
		}
		*(*uint64)(amd64.Ptr(a)) = 42
		readers := &shootdownReaders
		readers.Store(0)
		for id := 0; id < n; id++ {
			smp.CallOn(id, probeOnCPU, a, uintptr(unsafe.Pointer(readers)))
		}
		if int(readers.Load()) != n {
			t.Fatalf("only %d of %d CPUs could read the mapped page", readers.Load(), n)
		}
		syscall.Syscall(syscall.SYS_MUNMAP, a, 4096, 0)
		readers.Store(0)
		for id := 0; id < n; id++ {
			smp.CallOn(id, probeOnCPU, a, uintptr(unsafe.Pointer(readers)))
		}
		if r := readers.Load(); r != 0 {
			t.Fatalf("round %d: %d CPUs still read the unmapped page (stale TLB)", round, r)
		}
	}
}

// testGCStorm: many goroutines allocate on every CPU while others force
// collections, for 10 seconds; afterwards the heap's frames come back.
func testGCStorm(t *ktest.T) {
	runtime.GC()
	debug.FreeOSMemory()
	base := phys.Frames.Stats().ByKind[phys.KindGoHeap]
	stop := time.Now().Add(10 * time.Second)
	var wg sync.WaitGroup
	var allocs atomic.Uint64
	for g := 0; g < 8*smp.Count(); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep [][]byte
			for i := 0; time.Now().Before(stop); i++ {
				b := make([]byte, 1024+(i*4096)%(64<<10))
				b[len(b)-1] = byte(i)
				keep = append(keep, b)
				if len(keep) > 32 {
					keep = keep[16:]
				}
				allocs.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(stop) {
			runtime.GC()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	wg.Wait()
	runtime.GC()
	debug.FreeOSMemory()
	after := phys.Frames.Stats().ByKind[phys.KindGoHeap]
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d allocations, %d GCs; Go heap frames %d -> %d", allocs.Load(), ms.NumGC, base, after)
	if int64(after)-int64(base) > 32<<20/phys.PageSize {
		t.Errorf("the Go heap kept %d MiB more than before", (int64(after)-int64(base))*phys.PageSize>>20)
	}
	if msg := phys.Frames.Check(); msg != "" {
		t.Errorf("frame allocator: %s", msg)
	}
}
