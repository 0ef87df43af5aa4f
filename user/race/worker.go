package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"unsafe"
)

// worker is one faulting process: read, then write, its own word of
// random pages of the current round's region, checking each read against
// its last write there. At the end it reads back every word it owns.
func worker(cfg config, stderr io.Writer) int {
	w := cfg.index
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "race: worker %d: "+format+"\n", append([]any{w}, a...)...)
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
	ctl, data, me := m.control(), m.data(), slot(w)
	rng := rand.New(rand.NewPCG(cfg.seed, uint64(w)))
	last := make([]uint64, cfg.regions*pagesPerRegion) // what this worker last wrote at each page
	word := func(p int) *uint64 { return (*uint64)(unsafe.Pointer(&data[p*pageSize+8*w])) }
	seq := uint64(w+1) << 48
	var accesses, dataErrors, roundAcc uint64
	dataError := func(p int, got uint64, when string) {
		dataErrors++
		ctl.store(me+fDataErrors, dataErrors)
		if dataErrors <= 3 {
			logf("%s: page %d (region %d) reads %#x, last written %#x", when, p, p/pagesPerRegion, got, last[p])
		}
	}

	faults0, haveFaults := minorFaults()
	epoch, round := ctl.load(wEpoch), ^uint64(0)
	ctl.store(me+fReady, 1)
	for !ctl.stopped() {
		if p := ctl.load(wPause); p != 0 {
			// The barrier of a reset: no access until the collapser has
			// punched the data out and bumped the epoch.
			ctl.store(me+fAck, p)
			waitUntil(func() bool { return ctl.load(wPause) != p || ctl.stopped() }, 1<<62)
			continue
		}
		if e := ctl.load(wEpoch); e != epoch {
			clear(last)
			epoch = e
		}
		if r := ctl.load(wRound); r != round {
			round, roundAcc = r, 0
			ctl.store(me+fRoundAcc, 0)
			ctl.store(me+fRound, r)
		}
		region := int(round % uint64(cfg.regions))
		p := region*pagesPerRegion + rng.IntN(pagesPerRegion)
		if got := atomic.LoadUint64(word(p)); got != last[p] {
			dataError(p, got, fmt.Sprintf("round %d", round))
		}
		seq++
		atomic.StoreUint64(word(p), seq)
		last[p] = seq
		accesses += 2
		roundAcc++
		ctl.store(me+fAccesses, accesses)
		ctl.store(me+fRoundAcc, roundAcc)
	}
	// The final check: every word this worker owns, in every region —
	// once the collapser has stopped (it may have been resetting the file
	// when the stop flag came: then the epoch has moved and zeros are
	// right).
	if waitUntil(func() bool { return ctl.load(wCollapserDone) == 1 }, waitForChildren/2) {
		if ctl.load(wEpoch) != epoch {
			clear(last)
		}
		for p := range last {
			if got := atomic.LoadUint64(word(p)); got != last[p] {
				dataError(p, got, "final check")
			}
		}
		accesses += uint64(len(last))
	} else {
		logf("the collapser did not stop: no final check")
	}
	ctl.store(me+fAccesses, accesses)
	faults := ^uint64(0)
	if f, ok := minorFaults(); ok && haveFaults {
		faults = f - faults0
	}
	ctl.store(me+fFaults, faults)
	ctl.store(me+fDone, 1)
	return 0
}
