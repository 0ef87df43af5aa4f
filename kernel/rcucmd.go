// rcucmd.go: the rcu shell command.

package main

import (
	"fmt"
	"time"

	"retract/arch/amd64"
	"retract/kernel/shell"
	"retract/rcu"
)

func cmdRCU(sh *shell.Shell, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: rcu stats|sync|expedited")
	}
	switch args[0] {
	case "stats":
		s := rcu.Snapshot()
		mode := "rcu"
		if s.Mode == rcu.ModeUnsafe {
			mode = "unsafe (no grace periods: the bug)"
		}
		sh.Printf("mode %s; GP %d started, %d completed\n", mode, s.Started, s.Completed)
		sh.Printf("grace periods: %d, average %v, max %v\n", s.GPs, s.AvgGP.Round(time.Microsecond), s.MaxGP.Round(time.Microsecond))
		sh.Printf("expedited: %d, average %v, max %v\n", s.Expedited, s.AvgExp.Round(time.Microsecond), s.MaxExp.Round(time.Microsecond))
		sh.Printf("synchronize %d, barrier %d, stalls %d, blocked readers %d (%d events), unbalanced unlocks %d, sleeps in readers %d\n",
			s.Syncs, s.Barriers, s.Stalls, s.BlockedReaders, s.BlockedEvents, s.Unbalanced, s.SleepBugs)
		sh.Printf("pin mismatches (must be 0): %d\n", amd64.PinMismatch)
		sh.Printf("CPU  QS        queued    invoked   readers   in-reader  owes-QS\n")
		for id, c := range s.CPUs {
			sh.Printf("%-4d %-9d %-9d %-9d %-9d %-10v %v\n", id, c.QS, c.Queued, c.Invoked, c.Readers, c.InReader, c.OwesQS)
		}
	case "sync":
		start := time.Now()
		rcu.Synchronize()
		sh.Printf("grace period in %v\n", time.Since(start).Round(time.Microsecond))
	case "expedited":
		start := time.Now()
		rcu.SynchronizeExpedited()
		sh.Printf("expedited grace period in %v\n", time.Since(start).Round(time.Microsecond))
	default:
		return fmt.Errorf("unknown subcommand %q: want stats, sync or expedited", args[0])
	}
	return nil
}
