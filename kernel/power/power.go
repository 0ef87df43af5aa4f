// Package power ends the machine: ACPI soft-off (QEMU exits with status 0)
// and QEMU's isa-debug-exit device, which the test harness reads: writing
// v to port 0xf4 makes QEMU exit with status (v<<1)|1. A machine without
// that device is powered off through ACPI instead, after saying on the
// console which status was lost.
package power

import (
	"retract/arch/amd64"
	"retract/kernel/acpi"
	"retract/kernel/clock"
	"retract/kernel/console"
)

// Exit codes written to isa-debug-exit (QEMU's status is code*2+1).
const (
	TestsPassed = 0 // QEMU exits 1
	TestsFailed = 1 // 3
	Oops        = 2 // 5
	GoExited    = 3 // 7: the Go runtime called exit_group (main returned, or a fatal error)
)

const debugExitPort = 0xf4

// An init= run (a program as PID 1) passes the program's wait status out
// through the same device, in codes 8-127 that the launcher decodes
// (qemu/cmd/launch): InitStatus gives the code.
const (
	initExitBase   = 8   // exit(N), N 0-63: code 8+N
	initSignalBase = 72  // killed by signal K, K 1-53: code 72+K
	InitNotRun     = 126 // the program could not be started (a shell's 127)
	InitOops       = 127
)

// InitStatus maps init's wait status to a debug-exit code: exit(N) for N
// above 63 and signals above 53 saturate (the console line says the real
// status).
func InitStatus(waitStatus int) int {
	if sig := waitStatus & 0x7f; sig != 0 {
		return initSignalBase + min(sig, 53)
	}
	return initExitBase + min(waitStatus>>8&0xff, 63)
}

// statusNames name the exit codes on the console.
var statusNames = [...]string{TestsPassed: "passed", TestsFailed: "failed", Oops: "oops", GoExited: "Go runtime exited"}

// The ACPI power-off method, found by Init in process context: reading the
// tables allocates on its error paths, and DebugExit may run in trap
// context, where nothing may allocate.
var (
	off   acpi.Poweroff
	offOK bool
)

// Init finds how to power off through ACPI, for DebugExit's fallback. main
// calls it before it installs the hooks that call DebugExit; an error says
// why there is no ACPI power-off (DebugExit then halts).
func Init() error {
	p, err := acpi.FindPoweroff()
	off, offOK = p, err == nil
	return err
}

// Exit stops QEMU through isa-debug-exit with code. If the device is not
// there (a machine started without it), it powers off through ACPI.
func Exit(code int) {
	DebugExit(code)
}

// DebugExit writes code to isa-debug-exit. If the machine is still running
// (no such device), it says so on the console, with the status that is
// lost, and powers off through ACPI (QEMU then exits with status 0) or,
// without ACPI, halts. It never returns and allocates nothing, so trap
// context (exit_group, the oops path) can call it.
func DebugExit(code int) {
	amd64.Outl(debugExitPort, uint32(code))
	var m console.Msg
	m.S("power: no isa-debug-exit device: test status ").I(int64(code))
	if code >= 0 && code < len(statusNames) {
		m.S(" (").S(statusNames[code]).S(")")
	}
	m.S(" cannot reach QEMU's exit code; ")
	if !offOK {
		m.S("no ACPI power-off either: halting\n").Print()
		halt()
	}
	m.S("powering off through ACPI\n").Print()
	off.Enter()
	clock.Spin(1e9) // QEMU acts on the write asynchronously
	var m2 console.Msg
	m2.S("power: ACPI power-off did not turn the machine off; halting\n").Print()
	halt()
}

// Off powers the machine off through ACPI S5. If that is impossible it
// says so and halts.
func Off() {
	p, err := acpi.FindPoweroff()
	var m console.Msg
	if err == nil {
		p.Enter()
		// QEMU acts on the write asynchronously: give it a second before
		// declaring failure.
		clock.Spin(1e9)
		m.S("power: ACPI power-off (").S(p.String()).S(") did not turn the machine off; halting\n").Print()
	} else {
		m.S("power: cannot power off: ").S(err.Error()).S("; halting\n").Print()
	}
	halt()
}

func halt() {
	for {
		amd64.Cli()
		amd64.Hlt()
	}
}
