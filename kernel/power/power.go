// Package power ends the machine: ACPI soft-off (QEMU exits with status 0)
// and QEMU's isa-debug-exit device, which the test harness reads: writing
// v to port 0xf4 makes QEMU exit with status (v<<1)|1.
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

// Exit stops QEMU through isa-debug-exit with code. If the device is not
// there (a different machine), it powers off instead.
func Exit(code int) {
	DebugExit(code)
	Off()
}

// DebugExit writes code to isa-debug-exit and, if the machine is still
// running (no such device), halts. It allocates nothing, so trap context
// (exit_group, the oops path) can call it.
func DebugExit(code int) {
	amd64.Outl(debugExitPort, uint32(code))
	var m console.Msg
	m.S("power: no isa-debug-exit device; halting\n").Print()
	for {
		amd64.Cli()
		amd64.Hlt()
	}
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
	for {
		amd64.Cli()
		amd64.Hlt()
	}
}
