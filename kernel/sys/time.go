// time.go: clocks and sleeping.

package sys

import (
	"retract/kernel/clock"
	"retract/kernel/sched"
)

func nanotime() uint64 { return clock.Nanotime() }

const (
	clockRealtime        = 0
	clockMonotonic       = 1
	clockMonotonicRaw    = 4
	clockRealtimeCoarse  = 5
	clockMonotonicCoarse = 6
	clockBoottime        = 7

	timerAbstime = 1
)

// clockNow returns the time of a clock, or EINVAL for clocks retract does
// not keep (the CPU-time clocks: no per-thread CPU accounting yet).
func clockNow(id uint64) (int64, Errno) {
	switch id {
	case clockRealtime, clockRealtimeCoarse:
		return clock.Walltime(), 0
	case clockMonotonic, clockMonotonicRaw, clockMonotonicCoarse, clockBoottime:
		return int64(clock.Nanotime()), 0
	}
	return 0, EINVAL
}

func sysClockGettime(id, ts uint64) uint64 {
	now, e := clockNow(id)
	if e != 0 {
		return ret(0, e)
	}
	return ret(0, writeTimespec(ts, now))
}

func sysClockGetres(id, ts uint64) uint64 {
	if _, e := clockNow(id); e != 0 {
		return ret(0, e)
	}
	if ts == 0 {
		return 0
	}
	return ret(0, writeTimespec(ts, 1))
}

func sysGettimeofday(tv, tz uint64) uint64 {
	if tv != 0 {
		if !valid(tv, 16) {
			return ret(0, EFAULT)
		}
		w := clock.Walltime()
		store64(tv, uint64(w/1e9))
		store64(tv+8, uint64(w%1e9/1e3))
	}
	if tz != 0 {
		if !valid(tz, 8) {
			return ret(0, EFAULT)
		}
		store64(tz, 0) // UTC, no DST
	}
	return 0
}

func sysTime(t uint64) uint64 {
	s := uint64(clock.Walltime() / 1e9)
	if t != 0 {
		if !valid(t, 8) {
			return ret(0, EFAULT)
		}
		store64(t, s)
	}
	return s
}

// sleepUntil blocks until the monotonic clock reaches deadline.
func sleepUntil(deadline uint64) {
	for nanotime() < deadline {
		sched.Block(0, deadline, nil)
	}
}

func sysNanosleep(req, rem uint64) uint64 {
	d, e := readTimespec(req)
	if e != 0 {
		return ret(0, e)
	}
	if d == 0 {
		sched.Yield()
		return 0
	}
	sleepUntil(nanotime() + d)
	return 0
}

func sysClockNanosleep(id, flags, req, rem uint64) uint64 {
	if flags&^timerAbstime != 0 {
		return ret(0, EINVAL)
	}
	now, e := clockNow(id)
	if e != 0 {
		return ret(0, e)
	}
	d, e := readTimespec(req)
	if e != 0 {
		return ret(0, e)
	}
	if flags&timerAbstime != 0 {
		if int64(d) <= now {
			return 0
		}
		d -= uint64(now)
	}
	sleepUntil(nanotime() + d)
	return 0
}

// Futex operations (the runtime uses WAIT_PRIVATE and WAKE_PRIVATE).
const (
	futexWait        = 0
	futexWake        = 1
	futexPrivateFlag = 128
	futexClockRT     = 256
)

func sysFutex(uaddr, op, val, timeout uint64) uint64 {
	if uaddr&3 != 0 {
		return ret(0, EINVAL)
	}
	if !valid(uaddr, 4) {
		return ret(0, EFAULT)
	}
	switch op &^ (futexPrivateFlag | futexClockRT) {
	case futexWait:
		var deadline uint64
		if timeout != 0 {
			d, e := readTimespec(timeout)
			if e != 0 {
				return ret(0, e)
			}
			deadline = nanotime() + d
			if deadline == 0 {
				deadline = 1
			}
		}
		// The compare is 32 bits wide, like Linux's: Go's futex words are uint32.
		want := uint32(val)
		switch sched.Block(uintptr(uaddr), deadline, func() bool { return atomicLoad32(uaddr) == want }) {
		case sched.NotBlocked:
			return ret(0, EAGAIN)
		case sched.TimedOut:
			return ret(0, ETIMEDOUT)
		}
		return 0
	case futexWake:
		return uint64(sched.Wake(uintptr(uaddr), int(int32(val))))
	}
	return ret(0, ENOSYS)
}
