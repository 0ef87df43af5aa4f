// rcucmd.go: the rcu shell command.

package main

import (
	"fmt"
	"time"

	"retract/arch/amd64"
	"retract/kernel/shell"
	"retract/mm"
	"retract/rcu"
)

func cmdRCU(sh *shell.Shell, args []string) error {
	if len(args) == 2 && args[0] == "mode" {
		switch args[1] {
		case "rcu":
			rcu.SetMode(rcu.ModeRCU)
		case "unsafe":
			rcu.SetMode(rcu.ModeUnsafe)
		default:
			return fmt.Errorf("mode %q: want rcu or unsafe", args[1])
		}
		sh.Printf("rcu: mode %s; retract: %s\n", modeName(rcu.CurrentMode()), mm.FreeModeNow())
		return nil
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: rcu stats|sync|expedited|mode rcu|unsafe")
	}
	switch args[0] {
	case "stats":
		s := rcu.Snapshot()
		sh.Printf("mode %s; GP %d started, %d completed\n", modeName(s.Mode), s.Started, s.Completed)
		sh.Printf("grace periods: %d, average %v, max %v\n", s.GPs, s.AvgGP.Round(time.Microsecond), s.MaxGP.Round(time.Microsecond))
		sh.Printf("expedited: %d, average %v, max %v\n", s.Expedited, s.AvgExp.Round(time.Microsecond), s.MaxExp.Round(time.Microsecond))
		sh.Printf("synchronize %d, barrier %d, stalls %d, blocked readers %d (%d events), unbalanced unlocks %d, sleeps in readers %d\n",
			s.Syncs, s.Barriers, s.Stalls, s.BlockedReaders, s.BlockedEvents, s.Unbalanced, s.SleepBugs)
		sh.Printf("pin mismatches (must be 0): %d\n", amd64.PinMismatch)
		sh.Printf("CPU  QS        queued    invoked   readers   in-reader  owes-QS\n")
		for id, c := range s.CPUs {
			sh.Printf("%-4d %-9d %-9d %-9d %-9d %-10s %s\n", id, c.QS, c.Queued, c.Invoked, c.Readers, yesNo(c.InReader), yesNo(c.OwesQS))
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
		return fmt.Errorf("unknown subcommand %q: want stats, sync, expedited or mode", args[0])
	}
	return nil
}

// yesNo says a boolean in words a table can show.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func modeName(m rcu.Mode) string {
	if m == rcu.ModeUnsafe {
		return "unsafe (no grace periods: Call runs at once, Synchronize returns at once — the bug)"
	}
	return "rcu"
}
