// sys_time.go: clocks and sleeping — clock_gettime, clock_getres,
// gettimeofday, time, nanosleep, clock_nanosleep — and getrandom.

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"time"

	"retract/kernel/abi"
	"retract/kernel/clock"
	"retract/kernel/sys"
)

func init() {
	reg(228, sysClockGettime)
	reg(229, sysClockGetres)
	reg(96, sysGettimeofday)
	reg(201, func(t *Task, a *[6]uint64) (uint64, error) {
		s := uint64(clock.Walltime() / 1e9)
		if a[0] != 0 {
			if err := t.writeU64(a[0], s); err != nil {
				return 0, err
			}
		}
		return s, nil
	})
	reg(35, sysNanosleep)
	reg(230, sysClockNanosleep)
	reg(318, sysGetrandom)
}

// Clock ids.
const (
	CLOCK_REALTIME           = 0
	CLOCK_MONOTONIC          = 1
	CLOCK_PROCESS_CPUTIME_ID = 2
	CLOCK_THREAD_CPUTIME_ID  = 3
	CLOCK_MONOTONIC_RAW      = 4
	CLOCK_REALTIME_COARSE    = 5
	CLOCK_MONOTONIC_COARSE   = 6
	CLOCK_BOOTTIME           = 7
	CLOCK_REALTIME_ALARM     = 8
	CLOCK_BOOTTIME_ALARM     = 9
	CLOCK_TAI                = 11
	TIMER_ABSTIME            = 1
)

// now returns the time of clock id in ns.
func (t *Task) now(id uint64) (int64, error) {
	switch id {
	case CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_REALTIME_ALARM, CLOCK_TAI:
		return clock.Walltime(), nil
	case CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM:
		return int64(clock.Nanotime()), nil
	case CLOCK_PROCESS_CPUTIME_ID:
		var n uint64
		for _, o := range t.P.Threads() {
			n += o.utime.Load() + o.stime.Load()
		}
		return int64(n), nil
	case CLOCK_THREAD_CPUTIME_ID:
		return int64(t.utime.Load() + t.stime.Load()), nil
	}
	return 0, abi.EINVAL
}

func timespecBytes(ns int64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, uint64(ns/1e9))
	binary.LittleEndian.PutUint64(b[8:], uint64(ns%1e9))
	return b
}

func sysClockGettime(t *Task, a *[6]uint64) (uint64, error) {
	ns, err := t.now(a[0])
	if err != nil {
		return 0, err
	}
	return 0, t.copyOut(a[1], timespecBytes(ns))
}

func sysClockGetres(t *Task, a *[6]uint64) (uint64, error) {
	if _, err := t.now(a[0]); err != nil {
		return 0, err
	}
	if a[1] == 0 {
		return 0, nil
	}
	return 0, t.copyOut(a[1], timespecBytes(1))
}

func sysGettimeofday(t *Task, a *[6]uint64) (uint64, error) {
	if a[0] != 0 {
		ns := clock.Walltime()
		b := make([]byte, 16)
		binary.LittleEndian.PutUint64(b, uint64(ns/1e9))
		binary.LittleEndian.PutUint64(b[8:], uint64(ns%1e9/1e3))
		if err := t.copyOut(a[0], b); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		if err := t.copyOut(a[1], make([]byte, 8)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sleep waits d or until a signal arrives; it returns the time left.
func (t *Task) sleep(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	end := time.Now().Add(d)
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return 0
	case <-t.FS.Intr:
		return max(time.Until(end), 0)
	}
}

// nanosleep(req, rem): interrupted, it writes the time left and returns
// EINTR (ERESTART_RESTARTBLOCK, which restarts without a handler: the
// remaining time then is slept by restart_syscall... here the whole call
// restarts with the remaining time written back first).
func sysNanosleep(t *Task, a *[6]uint64) (uint64, error) {
	d, err := t.readTimespec(a[0])
	if err != nil {
		return 0, err
	}
	left := t.sleep(d)
	if left == 0 {
		return 0, nil
	}
	if a[1] != 0 {
		if err := t.copyOut(a[1], timespecBytes(int64(left))); err != nil {
			return 0, err
		}
	}
	return 0, abi.EINTR
}

// clock_nanosleep(clock, flags, req, rem): returns the error number
// itself (not -1/errno in libc, but the kernel's -errno as usual).
func sysClockNanosleep(t *Task, a *[6]uint64) (uint64, error) {
	id, flags := a[0], a[1]
	switch id {
	case CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM:
	case CLOCK_THREAD_CPUTIME_ID:
		return 0, abi.EINVAL
	case CLOCK_PROCESS_CPUTIME_ID:
		return 0, abi.ENOTSUP
	default:
		return 0, abi.EINVAL
	}
	d, err := t.readTimespec(a[2])
	if err != nil {
		return 0, err
	}
	if flags&TIMER_ABSTIME != 0 {
		now, _ := t.now(id)
		d -= time.Duration(now)
	}
	left := t.sleep(d)
	if left == 0 {
		return 0, nil
	}
	if a[3] != 0 && flags&TIMER_ABSTIME == 0 {
		if err := t.copyOut(a[3], timespecBytes(int64(left))); err != nil {
			return 0, err
		}
	}
	return 0, abi.EINTR
}

const (
	GRND_NONBLOCK = 1
	GRND_RANDOM   = 2
	GRND_INSECURE = 4
)

func sysGetrandom(t *Task, a *[6]uint64) (uint64, error) {
	if a[2]&^(GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE) != 0 || a[2]&(GRND_RANDOM|GRND_INSECURE) == GRND_RANDOM|GRND_INSECURE {
		return 0, abi.EINVAL
	}
	n := min(a[1], 1<<25-1)
	b := make([]byte, n)
	sys.Random(b)
	if err := t.copyOut(a[0], b); err != nil {
		return 0, err
	}
	return n, nil
}
