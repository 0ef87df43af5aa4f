package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"time"
)

// How long the collapser waits for the workers before it goes on anyway
// (a slow machine, a worker stuck in the kernel: the parent notices that).
const workerWait = 2 * time.Second

// collapser runs the rounds: publish the round (a fresh region), wait
// until every worker has made a random number of accesses in it,
// madvise(MADV_COLLAPSE) the region while they go on, let them make half
// a region's worth more, next round. When the rounds wrap around it
// resets the file at a barrier.
func collapser(cfg config, stderr io.Writer) int {
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "race: collapser: "+format+"\n", a...)
	}
	m, err := mapInherited(cfg.regions)
	if err != nil {
		logf("%v", err)
		return 1
	}
	if err := m.adviseHuge(); err != nil {
		logf("%v (going on)", err)
	}
	if err := pin(cfg.cpu); err != nil {
		logf("%v (going on unpinned)", err)
	}
	ctl := m.control()
	rng := rand.New(rand.NewPCG(cfg.seed, 1<<32))
	ctl.store(wCollapserReady, 1)
	defer ctl.store(wCollapserDone, 1)
	if !waitUntil(func() bool { return ctl.stopped() || allWorkers(ctl, cfg.workers, fReady, 1) }, waitForReadiness) {
		logf("the workers did not get ready in %v", waitForReadiness)
		return 1
	}

	// inRound: every worker is in round r and has made at least n
	// accesses in it.
	inRound := func(r uint64, n int) bool {
		for w := range cfg.workers {
			if ctl.load(slot(w)+fRound) != r || ctl.load(slot(w)+fRoundAcc) < uint64(n) {
				return false
			}
		}
		return true
	}
	for r := uint64(0); !ctl.stopped(); r++ {
		region := int(r % uint64(cfg.regions))
		if r > 0 && region == 0 {
			if err := reset(ctl, cfg, r, logf); err != nil {
				logf("%v", err)
				return 1
			}
			if ctl.stopped() {
				break
			}
		}
		ctl.store(wRound, r)
		// Collapse when the workers have touched some pages (the region
		// has page tables) and have first faults still to come.
		trigger := 16 + rng.IntN(pagesPerRegion*3/4)
		waitUntil(func() bool { return ctl.stopped() || inRound(r, trigger) }, workerWait)
		if cfg.jitter > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(cfg.jitter))))
		}
		// EAGAIN (a page locked or in use by a concurrent fault) is
		// retried a few times within the round, while the workers go on.
		for attempt := 1; ; attempt++ {
			err := collapse(ctl, m.region(region))
			if err != syscall.EAGAIN || attempt == collapseAttempts || ctl.stopped() {
				break
			}
		}
		// Let the workers use the collapsed range before moving on.
		waitUntil(func() bool { return ctl.stopped() || inRound(r, trigger+pagesPerRegion/2) }, workerWait)
		ctl.store(wRounds, r+1)
	}
	return 0
}

// collapseAttempts is how often a round tries MADV_COLLAPSE on EAGAIN.
const collapseAttempts = 3

// collapse calls madvise(MADV_COLLAPSE) on the region (again after
// EINTR) and counts the outcome.
func collapse(ctl control, region []byte) error {
	t0 := time.Now()
	err := syscall.Madvise(region, madvCollapse)
	for err == syscall.EINTR {
		ctl.add(wErrno+int(syscall.EINTR), 1)
		err = syscall.Madvise(region, madvCollapse)
	}
	ctl.add(wCollapseNanos, uint64(time.Since(t0)))
	if err == nil {
		ctl.add(wCollapsesOK, 1)
		return nil
	}
	e, _ := err.(syscall.Errno)
	ctl.add(wCollapsesFailed, 1)
	if e > 0 && e < 256 {
		ctl.add(wErrno+int(e), 1)
	}
	return err
}

// allWorkers reports whether field f of every worker's slot is v.
func allWorkers(ctl control, workers, f int, v uint64) bool {
	for w := range workers {
		if ctl.load(slot(w)+f) != v {
			return false
		}
	}
	return true
}

// reset is the wrap-around: stop the workers at the barrier (each acks
// the pause value r), punch the data out of the file so that the next
// round faults in small pages again, bump the epoch (the workers then
// expect zeros), publish round r and let them go.
func reset(ctl control, cfg config, r uint64, logf func(string, ...any)) error {
	ctl.store(wPause, r)
	defer ctl.store(wPause, 0)
	waitUntil(func() bool { return ctl.stopped() || allWorkers(ctl, cfg.workers, fAck, r) }, 1<<62)
	if ctl.stopped() {
		return nil
	}
	if err := punch(inheritedFD, cfg.regions, logf); err != nil {
		return err
	}
	ctl.add(wResets, 1)
	ctl.add(wEpoch, 1)
	ctl.store(wRound, r)
	return nil
}

// punchWarned: the fallback has been reported.
var punchWarned bool

// punch frees the file's data pages: fallocate(PUNCH_HOLE|KEEP_SIZE), or,
// where the file system cannot punch holes, ftruncate to the control
// pages and back.
func punch(fd, regions int, logf func(string, ...any)) error {
	err := syscall.Fallocate(fd, fallocPunchHole|fallocKeepSize, dataOffset, int64(regions)*hugeSize)
	if err == nil {
		return nil
	}
	if err != syscall.EOPNOTSUPP && err != syscall.ENOSYS {
		return fmt.Errorf("fallocate(PUNCH_HOLE|KEEP_SIZE): %v", err)
	}
	if !punchWarned {
		punchWarned = true
		logf("fallocate(PUNCH_HOLE|KEEP_SIZE): %v; resetting with ftruncate instead", err)
	}
	if err := syscall.Ftruncate(fd, dataOffset); err != nil {
		return fmt.Errorf("ftruncate to %d: %v", dataOffset, err)
	}
	if err := syscall.Ftruncate(fd, int64(fileSize(regions))); err != nil {
		return fmt.Errorf("ftruncate to %d: %v", fileSize(regions), err)
	}
	return nil
}
