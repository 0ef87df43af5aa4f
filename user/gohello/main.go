// Command gohello checks that the Go runtime works: goroutines on every
// CPU, channels, timers, the file system, os/exec, signals and the
// garbage collector. It prints "ok NAME" or "FAIL NAME: reason" per check
// and "N passed, M failed", like the C programs of user/c, and exits 0
// only if every check passed.
//
//	gohello          run the checks
//	gohello -child   the program os/exec starts: prints one line, exits 0
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

const childLine = "gohello child: hello from pid "

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-child" {
		fmt.Printf("%s%d\n", childLine, os.Getpid())
		return
	}
	os.Exit(run(os.Stdout))
}

// t counts and prints the checks.
type t struct {
	out            io.Writer
	passed, failed int
	skipped        int
}

func (c *t) check(name string, err error) {
	if err != nil {
		c.failed++
		fmt.Fprintf(c.out, "FAIL %s: %v\n", name, err)
		return
	}
	c.passed++
	fmt.Fprintf(c.out, "ok %s\n", name)
}

func (c *t) skip(name, why string) {
	c.passed++
	c.skipped++
	fmt.Fprintf(c.out, "ok %s # skip: %s\n", name, why)
}

func (c *t) summary() int {
	if c.skipped > 0 {
		fmt.Fprintf(c.out, "%d passed, %d failed (%d skipped)\n", c.passed, c.failed, c.skipped)
	} else {
		fmt.Fprintf(c.out, "%d passed, %d failed\n", c.passed, c.failed)
	}
	if c.failed > 0 {
		return 1
	}
	return 0
}

func run(out io.Writer) int {
	c := &t{out: out}
	fmt.Fprintf(out, "# %s, GOMAXPROCS %d, NumCPU %d\n", runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU())
	c.check("goroutines.allcpus", allCPUs())
	c.check("channel.pingpong", pingPong(10000))
	c.check("waitgroup.many", manyGoroutines(1000))
	c.check("time.sleep", sleep(50*time.Millisecond))
	c.check("timer.select", timers())
	c.check("os.getwd", getwd())
	c.check("os.readdir.root", readDirRoot())
	c.check("os.file.roundtrip", fileRoundTrip())
	c.check("os.exec.child", execChild())
	c.check("os.signal.notify", signalSelf())
	c.check("gc.allocate", gc())
	if _, err := os.Stat("/proc/self/maps"); err != nil {
		c.skip("proc.self.maps", "no /proc/self/maps")
	} else {
		c.check("proc.self.maps", procMaps())
	}
	return c.summary()
}

// allCPUs pins one goroutine's thread to each CPU of the affinity mask and
// checks with getcpu that it runs there, all at the same time.
func allCPUs() error {
	cpus, err := allowedCPUs()
	if err != nil {
		return err
	}
	errs := make([]error, len(cpus))
	var wg sync.WaitGroup
	var start sync.WaitGroup
	start.Add(len(cpus))
	for i, cpu := range cpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var mask [16]uint64
			mask[cpu/64] = 1 << (cpu % 64)
			if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0]))); e != 0 {
				errs[i] = fmt.Errorf("sched_setaffinity(%d): %v", cpu, e)
				start.Done()
				return
			}
			start.Done()
			start.Wait() // every goroutine pinned at once
			var got uint32
			if _, _, e := syscall.RawSyscall(sysGetcpu, uintptr(unsafe.Pointer(&got)), 0, 0); e != 0 {
				errs[i] = fmt.Errorf("getcpu: %v", e)
			} else if int(got) != cpu {
				errs[i] = fmt.Errorf("pinned to CPU %d, getcpu says %d", cpu, got)
			}
			// Give the thread back its full mask: the runtime reuses it.
			var all [16]uint64
			for _, c := range cpus {
				all[c/64] |= 1 << (c % 64)
			}
			syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(all), uintptr(unsafe.Pointer(&all[0])))
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

const sysGetcpu = 309

func allowedCPUs() ([]int, error) {
	var mask [16]uint64
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0]))); e != 0 {
		return nil, fmt.Errorf("sched_getaffinity: %v", e)
	}
	var cpus []int
	for w, bits := range mask {
		for b := range 64 {
			if bits&(1<<b) != 0 {
				cpus = append(cpus, w*64+b)
			}
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("empty affinity mask")
	}
	return cpus, nil
}

func pingPong(n int) error {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	for i := 0; i < n; i++ {
		ping <- i
		if v := <-pong; v != i+1 {
			return fmt.Errorf("sent %d, got back %d", i, v)
		}
	}
	close(ping)
	if _, ok := <-pong; ok {
		return fmt.Errorf("pong not closed")
	}
	return nil
}

func manyGoroutines(n int) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.Gosched()
			mu.Lock()
			sum += i
			mu.Unlock()
		}()
	}
	wg.Wait()
	if want := n * (n - 1) / 2; sum != want {
		return fmt.Errorf("sum %d, want %d", sum, want)
	}
	return nil
}

func sleep(d time.Duration) error {
	t0 := time.Now()
	time.Sleep(d)
	if got := time.Since(t0); got < d || got > d+5*time.Second {
		return fmt.Errorf("time.Sleep(%v) took %v", d, got)
	}
	return nil
}

func timers() error {
	fast := time.After(10 * time.Millisecond)
	slow := time.After(5 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	ticks := 0
	for {
		select {
		case <-tick.C:
			ticks++
		case <-fast:
			if ticks > 0 {
				return nil
			}
			// Both were due: select may pick either (a slow emulator
			// lets many ticks' time pass at once). The ticker must
			// still deliver.
			select {
			case <-tick.C:
				return nil
			case <-slow:
				return fmt.Errorf("a 1 ms ticker did not tick in 5 s")
			}
		case <-slow:
			return fmt.Errorf("the 10 ms timer did not fire in 5 s")
		}
	}
}

func getwd() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(wd) {
		return fmt.Errorf("%q is not absolute", wd)
	}
	return nil
}

func readDirRoot() error {
	es, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return fmt.Errorf("/ is empty")
	}
	return nil
}

func fileRoundTrip() error {
	dir, err := os.MkdirTemp("", "gohello-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("hello, file\n"), 0o644); err != nil {
		return err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if string(b) != "hello, file\n" {
		return fmt.Errorf("read back %q", b)
	}
	return nil
}

// execChild runs this program with -child (os.Executable, else
// /bin/gohello) and checks its output.
func execChild() error {
	exe, err := os.Executable()
	if err != nil {
		exe = "/bin/gohello"
	}
	cmd := exec.Command(exe, "-child")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s -child: %v", exe, err)
	}
	pid := cmd.ProcessState.Pid()
	if want := fmt.Sprintf("%s%d\n", childLine, pid); string(out) != want {
		return fmt.Errorf("child wrote %q, want %q", out, want)
	}
	return nil
}

func signalSelf() error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	defer signal.Stop(ch)
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		return err
	}
	select {
	case s := <-ch:
		if s != syscall.SIGUSR1 {
			return fmt.Errorf("got %v", s)
		}
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("SIGUSR1 not delivered in 5 s")
	}
}

// gc allocates about 256 MiB in total, 64 KiB at a time, keeping 1 MiB
// alive, and checks that the collector ran and the kept data survived.
func gc() error {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keep := make([][]byte, 16)
	for i := range 4096 {
		b := make([]byte, 64<<10)
		b[0], b[len(b)-1] = byte(i), byte(i>>8)
		keep[i%16] = b
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for i, b := range keep {
		n := 4096 - 16 + i
		if b[0] != byte(n) || b[len(b)-1] != byte(n>>8) {
			return fmt.Errorf("kept buffer %d corrupted", i)
		}
	}
	if after.NumGC == before.NumGC {
		return fmt.Errorf("no garbage collection")
	}
	return nil
}

func procMaps() error {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	s := string(b)
	if !strings.Contains(s, "[stack]") && !strings.Contains(s, "gohello") {
		return fmt.Errorf("no [stack] and no gohello line in %d bytes", len(b))
	}
	return nil
}
