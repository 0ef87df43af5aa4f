// Command kernel is retract: a bare-metal teaching kernel whose code is an
// ordinary GOOS=linux Go program. QEMU starts it through the PVH entry in
// package boot, which prepares the machine and then enters the Go runtime
// like Linux would; by the time main runs, goroutines, the garbage
// collector and timers work on the kernel's own syscall layer (kernel/sys).
//
// main wires the rest together: it reads the kernel command line, reports
// its mistakes, starts console input, builds the symbol table for oops
// reports and the disassembler, and then either runs the in-kernel tests
// (test=...) and powers off with their verdict, or gives the user the shell.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"retract/arch/amd64"
	"retract/boot"
	"retract/kernel/bench"
	"retract/kernel/clock"
	"retract/kernel/cmdline"
	"retract/kernel/console"
	"retract/kernel/ktest"
	"retract/kernel/oops"
	"retract/kernel/power"
	"retract/kernel/shell"
	"retract/kernel/smp"
	_ "retract/kernel/suites"
	"retract/kernel/sys"
	"retract/kernel/trace"
	"retract/kernel/trap"
	"retract/kernel/watchdog"
	"retract/lockdep"
	"retract/mm"
	"retract/mm/phys"
	"retract/rcu"
)

// Options is the parsed kernel command line.
var Options cmdline.Options

// symbolsReady is closed when the symbol table is built. The boot waits
// for it right after unpacking the initramfs, so everything after — the
// benchmarks, the tests, init, the shell and its commands — has it.
var symbolsReady = make(chan struct{})

func main() {
	if len(os.Args) > 1000 {
		boot.Entry() // never runs: keeps the PVH entry linked in
	}
	amd64.ProcessContext = true
	fmt.Printf("retract: Go runtime up after %d ms; cmdline %q\n", clock.Nanotime()/1e6, boot.CmdlineString())
	if err := boot.CmdlineError(); err != nil {
		fmt.Println(err)
	}
	opts, errs := cmdline.Parse(boot.CmdlineString())
	for _, err := range errs {
		fmt.Println(err)
	}
	Options = opts
	cmdline.Current = opts
	if opts.RCUUnsafe {
		rcu.SetMode(rcu.ModeUnsafe)
		fmt.Println("retract: rcu=unsafe: RCU runs without grace periods: retired memory and retracted page tables are freed at once (the bug, on purpose; `rcu mode rcu` undoes it)")
	}
	for _, d := range opts.Delays {
		if err := mm.SetDelay(d.Point, d.Micros); err != nil {
			fmt.Printf("cmdline: delay=%s:%d: %v (ignored)\n", d.Point, d.Micros, err)
		} else {
			fmt.Printf("retract: delay point %s: %d µs\n", d.Point, d.Micros)
		}
	}
	if opts.Trace != 0 {
		trace.Enable(opts.Trace)
		fmt.Printf("retract: trace=%v: recording events from boot on (the shell's trace dump prints them)\n", opts.Trace)
	}
	rcu.Start()
	if opts.Khugepaged {
		mm.Khugepaged.Enabled.Store(true)
		fmt.Println("retract: khugepaged=on: the background collapser runs from boot on")
	}
	mm.StartKhugepaged()
	if opts.SeedSet {
		sys.Seed = opts.Seed
	}
	if err := power.Init(); err != nil {
		fmt.Printf("power: %v: without isa-debug-exit the kernel can only halt\n", err)
	}
	sys.ExitHook = func(code int) { power.DebugExit(power.GoExited) }
	watchdog.Expire = func() { power.DebugExit(power.TestsFailed) }
	watchdog.Backtrace = smp.BacktraceAll
	if opts.Lockdep || len(opts.Tests) > 0 {
		lockdep.Enable()
		fmt.Println("retract: lock validator on (lockdep): lock order, sleeping in atomic context, interrupt safety, ownership")
	}
	if opts.Poison || len(opts.Tests) > 0 {
		phys.Frames.Poison = true
		fmt.Printf("retract: freed frames are poisoned (filled with %#x)\n", phys.PoisonByte)
	}
	if opts.OopsExit {
		oops.Halt = func() { power.DebugExit(power.Oops) }
	}
	// A soft memory limit at 3/4 of free RAM: the GC works harder before
	// the kernel runs out of frames (there is no swap and no OOM killer).
	debug.SetMemoryLimit(int64(phys.Frames.Stats().Free * phys.PageSize * 3 / 4))
	banner()
	trap.EnableSerial()
	// The symbol table (5-20 ms under TCG, read from the runtime's
	// function table; over 200 ms when that table cannot be found and
	// FuncForPC probing takes over) is built on another CPU while this
	// one unpacks the initramfs; then the boot waits for it, so that an
	// oops in init, the tests or the shell is symbolized (one while it is
	// being built prints bare addresses).
	go buildSymbols()
	setupUserland()
	<-symbolsReady
	fmt.Printf("retract: %d symbols in %d ms\n", oops.Symbols().Len(), symbolsNS/1e6)

	switch {
	case opts.Refused:
		fmt.Println("retract: the command line asks for things that exclude each other (see above): powering off with the failed status")
		power.Exit(power.TestsFailed)
	case len(opts.Bench) > 0:
		if errs := bench.Check(opts.Bench); len(errs) > 0 {
			for _, err := range errs {
				fmt.Println(err)
			}
			fmt.Println("retract: no benchmark ran")
			power.Exit(power.TestsFailed)
		}
		errs := bench.Run(os.Stdout, opts.Bench, nil)
		for _, err := range errs {
			fmt.Println(err)
		}
		if len(errs) > 0 {
			power.Exit(power.TestsFailed)
		}
		power.Exit(power.TestsPassed)
	case opts.ListTests():
		ktest.List(os.Stdout)
		power.Exit(power.TestsPassed)
	case len(opts.Tests) > 0:
		os.Exit(runTests(opts.Tests))
	case opts.Init != "":
		runInit(opts.Init, opts.InitArgs)
	}
	fmt.Printf("retract: ready in %d ms; type help\n", clock.Nanotime()/1e6)
	sh := shell.New(shellInR, os.Stdout, commands())
	sh.SetInterrupts(console.Interrupts.Load) // Ctrl-C stops long commands
	sh.Run()
	power.Off()
}

// runTests runs suites, prints the summary and powers off with the
// verdict the harness reads (TestsPassed/TestsFailed). An unknown suite
// name fails the run before any suite runs.
func runTests(names []string) int {
	if errs := ktest.Check(names); len(errs) > 0 {
		for _, err := range errs {
			fmt.Println(err)
		}
		fmt.Println("retract: no test ran")
		power.Exit(power.TestsFailed)
	}
	passed, failed, skipped, errs := ktest.Run(testConfig(os.Stdout, nil), names)
	for _, err := range errs {
		fmt.Println(err)
	}
	fmt.Printf("retract: tests done: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	unexpected := lockdep.Unexpected()
	if lockdep.Enabled {
		// The order the validator learned, for the harness to check
		// against docs/locking.md.
		for _, e := range lockdep.Edges() {
			fmt.Printf("lockdep: order %s -> %s\n", e[0], e[1])
		}
	}
	fmt.Printf("retract: lockdep: %d unexpected problems (%d provoked on purpose)\n", unexpected, lockdep.Total()-unexpected)
	if failed > 0 || len(errs) > 0 || unexpected > 0 {
		power.Exit(power.TestsFailed)
	}
	power.Exit(power.TestsPassed)
	return 0
}

// testConfig is how the kernel runs ktest suites: the command line's seed,
// and the timer-interrupt watchdog behind every case's timeout.
func testConfig(out io.Writer, stop func() bool) ktest.Config {
	return ktest.Config{Out: out, Seed: Options.Seed, Stop: stop, Watchdog: func(name string, d time.Duration) {
		if name == "" {
			watchdog.Disarm()
			return
		}
		watchdog.Arm("test case "+name, uint64(d))
	}}
}

func banner() {
	st := phys.Frames.Stats()
	ram, top := boot.Boot.RAM()
	fmt.Printf("retract: %d MiB of RAM (highest address %#x), %d MiB free; frame metadata at %#x-%#x\n",
		ram>>20, top, st.Free*phys.PageSize>>20, boot.MetaStart, boot.MetaEnd)
	fmt.Printf("retract: clock: TSC %d MHz, LAPIC timer %d MHz (calibrated against the %s)\n",
		clock.TSCHz/1e6, clock.LAPICHz/1e6, clock.Source)
	if clock.Retries > 0 {
		fmt.Printf("retract: clock: %d calibrations thrown away: the CPU stopped long enough to miss PIT wraps (a busy host)\n", clock.Retries)
	}
	rnd := "RDRAND"
	if !sys.HasRDRAND {
		rnd = "no RDRAND: getrandom uses a non-cryptographic generator"
	}
	switch {
	case amd64.SMEP && amd64.SMAP:
		rnd += ", SMEP, SMAP"
	case amd64.SMEP:
		rnd += ", SMEP (no SMAP)"
	case amd64.SMAP:
		rnd += ", SMAP (no SMEP)"
	}
	var ids []string
	for id := 0; id < smp.Count(); id++ {
		ids = append(ids, fmt.Sprint(amd64.CPUByID(id).APICID))
	}
	r := boot.SMPReport
	if r.NoACPI {
		fmt.Printf("retract: no ACPI MADT: 1 CPU\n")
	} else {
		fmt.Printf("retract: %d of %d CPUs online (APIC IDs %s); %s\n", smp.Count(), r.InMADT, strings.Join(ids, " "), rnd)
	}
}

// buildSymbols makes the symbol table oops reports and dis use, before
// the first prompt (or init, or the tests), so that even an immediate
// crash is symbolized.
func buildSymbols() {
	start := clock.Nanotime()
	t := oops.Build(uintptr(boot.Image.TextStart), uintptr(boot.Image.TextEnd))
	oops.SetSymbols(t)
	symbolsNS = clock.Nanotime() - start
	close(symbolsReady)
}

// symbolsNS is how long buildSymbols took (written before symbolsReady
// is closed).
var symbolsNS uint64
