// stats.go: what `rcu stats` shows.

// trapctx: process context only

package rcu

import (
	"sync/atomic"
	"time"

	"retract/lockdep"
)

var (
	stalls, syncs, expedited, barriers, sleepBugs atomic.Uint64

	statMu           = lockdep.Mutex{Class: lockdep.Register("rcu.statMu", lockdep.Sleep)}
	gpCount          uint64
	gpTotal, gpMax   time.Duration
	expTotal, expMax time.Duration
)

func recordGP(d time.Duration) {
	statMu.Lock()
	gpCount++
	gpTotal += d
	gpMax = max(gpMax, d)
	statMu.Unlock()
}

func recordExp(d time.Duration) {
	statMu.Lock()
	expTotal += d
	expMax = max(expMax, d)
	statMu.Unlock()
}

// CPUStats is one CPU's RCU counters.
type CPUStats struct {
	QS, Queued, Invoked, Readers uint64
	IPIQS                        uint64 // QS answered from an expedited GP's IPI
	IdleQS                       uint64 // QS credited because the CPU was idle
	InReader                     bool   // right now
	OwesQS                       bool
}

// Stats is a snapshot of the RCU counters.
type Stats struct {
	Mode                      Mode
	Started, Completed        uint64
	GPs                       uint64
	AvgGP, MaxGP              time.Duration
	Expedited                 uint64
	AvgExp, MaxExp            time.Duration
	Syncs, Barriers, Stalls   uint64
	BlockedReaders            int32
	BlockedEvents, Unbalanced uint64
	SleepBugs                 uint64
	CPUs                      []CPUStats
}

// Snapshot returns the counters.
func Snapshot() Stats {
	statMu.Lock()
	s := Stats{GPs: gpCount, MaxGP: gpMax, MaxExp: expMax}
	if gpCount > 0 {
		s.AvgGP = gpTotal / time.Duration(gpCount)
	}
	if e := expedited.Load(); e > 0 {
		s.AvgExp = expTotal / time.Duration(e)
	}
	statMu.Unlock()
	s.Mode = CurrentMode()
	s.Started, s.Completed = started.Load(), completed.Load()
	s.Expedited = expedited.Load()
	s.Syncs, s.Barriers, s.Stalls = syncs.Load(), barriers.Load(), stalls.Load()
	s.BlockedReaders = blockedReaders.Load()
	s.BlockedEvents, s.Unbalanced, s.SleepBugs = blockedEvents.Load(), unbalanced.Load(), sleepBugs.Load()
	for id := 0; id < NumCPUs; id++ {
		d := cpus.Of(id)
		s.CPUs = append(s.CPUs, CPUStats{QS: d.QS, Queued: d.Queued.Load(), Invoked: d.Invoked.Load(),
			Readers: d.Readers, IPIQS: d.IPIQS, IdleQS: d.IdleQS.Load(), InReader: nestOf(id) > 0, OwesQS: d.qsNeeded.Load() != 0})
	}
	return s
}
