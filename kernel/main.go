// Command kernel is retract: a bare-metal teaching kernel whose code is an
// ordinary GOOS=linux Go program. QEMU starts it through the PVH entry in
// package boot, which prepares the machine and then enters the Go runtime
// like Linux would; by the time main runs, goroutines, the garbage
// collector and timers work on the kernel's own syscall layer.
//
// main wires the rest together: it reads the kernel command line, starts
// the console and either runs the in-kernel tests (test=...) and powers off,
// or gives the user the shell.
package main

import (
	"fmt"
	"os"

	"retract/boot"
)

func main() {
	if len(os.Args) > 1000 {
		boot.Entry() // never runs: keeps the PVH entry linked in
	}
	fmt.Println("retract: hello from main")
	for {
	}
}
