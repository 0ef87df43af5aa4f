// cpu.go: which CPU is this goroutine on (a racy answer, for statistics).

package bench

import "retract/arch/amd64"

func currentCPU() uint32 { return amd64.This().ID }
