// futex.go: futex(2) — WAIT, WAKE, the BITSET variants, REQUEUE and
// CMP_REQUEUE, WAKE_OP — and the robust-list cleanup at thread exit
// (kernel/futex/*.c).
//
// A futex is keyed by the physical address of its word when the word is
// in a shared mapping (processes that share the memory share the futex,
// like Linux's get_futex_key for shared mappings), else by (mm, address):
// threads of one process share the mm. Waiters sleep on a channel and on
// the thread's interruption channel, so a signal interrupts FUTEX_WAIT
// (ERESTARTSYS, or EINTR with a timeout, as Linux).

// trapctx: process context only

package proc

import (
	"encoding/binary"
	"time"

	"retract/kernel/abi"
	"retract/lockdep"
	"retract/mm"
)

const (
	FUTEX_WAIT             = 0
	FUTEX_WAKE             = 1
	FUTEX_FD               = 2
	FUTEX_REQUEUE          = 3
	FUTEX_CMP_REQUEUE      = 4
	FUTEX_WAKE_OP          = 5
	FUTEX_LOCK_PI          = 6
	FUTEX_WAIT_BITSET      = 9
	FUTEX_WAKE_BITSET      = 10
	FUTEX_PRIVATE_FLAG     = 128
	FUTEX_CLOCK_REALTIME   = 256
	FUTEX_BITSET_MATCH_ANY = 0xffffffff
)

type futexKey struct {
	m    *mm.MM // nil for a shared key
	addr uint64 // user address, or physical address for shared keys
}

type futexWaiter struct {
	key    futexKey
	bitset uint32
	ch     chan struct{} // closed by the waker
	woken  bool
}

// One lock and one table for every futex: with at most 8 CPUs a hash of
// buckets buys little, and a single lock makes REQUEUE (which moves
// waiters between two words) simple.
var (
	futexMu lockdep.Mutex // proc.futexMu
	futexQ  = map[futexKey][]*futexWaiter{}
)

func init() { futexMu.Class = classFutex }

// keyOf computes the key of the futex word at addr (the word must be
// aligned; EINVAL otherwise). The caller has just read the word, so its
// page is present.
func (t *Task) keyOf(addr uint64, private bool) (futexKey, error) {
	if addr&3 != 0 {
		return futexKey{}, abi.EINVAL
	}
	m := t.P.MM()
	if !private {
		if pa, shared, ok := m.SharedPhys(uintptr(addr)); ok && shared {
			return futexKey{addr: pa}, nil
		}
	}
	return futexKey{m: m, addr: addr}, nil
}

// loadWord reads the futex word (EFAULT if it cannot).
func (t *Task) loadWord(addr uint64) (uint32, error) {
	var b [4]byte
	if err := t.P.MM().CopyFromUser(b[:], uintptr(addr)); err != nil {
		return 0, abi.EFAULT
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// futexWait is FUTEX_WAIT(_BITSET): sleep if *addr == val until woken,
// the timeout passes (ETIMEDOUT) or a signal arrives.
func futexWait(t *Task, addr uint64, val uint32, bitset uint32, private bool, deadline time.Time, hasTimeout bool) error {
	if bitset == 0 {
		return abi.EINVAL
	}
	if _, err := t.loadWord(addr); err != nil { // fault the word in first
		return err
	}
	k, err := t.keyOf(addr, private)
	if err != nil {
		return err
	}
	futexMu.Lock()
	// The check under the lock: a waker that changes the word and then
	// wakes takes the same lock, so the wake-up is not lost.
	v, err := t.loadWord(addr)
	if err != nil {
		futexMu.Unlock()
		return err
	}
	if v != val {
		futexMu.Unlock()
		return abi.EAGAIN
	}
	w := &futexWaiter{key: k, bitset: bitset, ch: make(chan struct{})}
	futexQ[k] = append(futexQ[k], w)
	futexMu.Unlock()

	var timer <-chan time.Time
	if hasTimeout {
		tm := time.NewTimer(max(time.Until(deadline), 0))
		defer tm.Stop()
		timer = tm.C
	}
	var res error
	select {
	case <-w.ch:
		return nil
	case <-timer:
		res = abi.ETIMEDOUT
	case <-t.FS.Intr:
		res = abi.ERESTARTSYS
		if hasTimeout {
			res = abi.EINTR
		}
	}
	futexMu.Lock()
	defer futexMu.Unlock()
	if w.woken {
		return nil // woken after all: consume the wake-up
	}
	removeWaiterLocked(w)
	return res
}

func removeWaiterLocked(w *futexWaiter) {
	q := futexQ[w.key]
	for i, o := range q {
		if o == w {
			q = append(q[:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(futexQ, w.key)
	} else {
		futexQ[w.key] = q
	}
}

// futexWake wakes up to n waiters of the futex at addr whose bitset
// matches.
func futexWake(t *Task, addr uint64, n int, bitset uint32, private bool) (int, error) {
	if bitset == 0 {
		return 0, abi.EINVAL
	}
	if _, err := t.loadWord(addr); err != nil && !private {
		return 0, err
	}
	k, err := t.keyOf(addr, private)
	if err != nil {
		return 0, err
	}
	futexMu.Lock()
	defer futexMu.Unlock()
	return wakeLocked(k, n, bitset), nil
}

func wakeLocked(k futexKey, n int, bitset uint32) int {
	q := futexQ[k]
	woken := 0
	out := q[:0]
	for _, w := range q {
		if woken < n && w.bitset&bitset != 0 {
			w.woken = true
			close(w.ch)
			woken++
			continue
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		delete(futexQ, k)
	} else {
		futexQ[k] = out
	}
	return woken
}

// futexRequeue wakes n waiters of addr and moves up to n2 others to addr2
// (CMP_REQUEUE first checks *addr == val: EAGAIN otherwise).
func futexRequeue(t *Task, addr, addr2 uint64, n, n2 int, cmp bool, val uint32, private bool) (int, error) {
	if _, err := t.loadWord(addr); err != nil {
		return 0, err
	}
	k1, err := t.keyOf(addr, private)
	if err != nil {
		return 0, err
	}
	k2, err := t.keyOf(addr2, private)
	if err != nil {
		return 0, err
	}
	futexMu.Lock()
	defer futexMu.Unlock()
	if cmp {
		v, err := t.loadWord(addr)
		if err != nil {
			return 0, err
		}
		if v != val {
			return 0, abi.EAGAIN
		}
	}
	woken := wakeLocked(k1, n, FUTEX_BITSET_MATCH_ANY)
	q := futexQ[k1]
	moved := min(n2, len(q))
	for _, w := range q[:moved] {
		w.key = k2
		futexQ[k2] = append(futexQ[k2], w)
	}
	if rest := q[moved:]; len(rest) == 0 {
		delete(futexQ, k1)
	} else {
		futexQ[k1] = rest
	}
	return woken + moved, nil
}

// futexWakeOp is FUTEX_WAKE_OP: *addr2 = op(*addr2, oparg) atomically,
// wake n at addr, and n2 at addr2 if the old value passes the comparison.
func futexWakeOp(t *Task, addr, addr2 uint64, n, n2 int, opword uint32, private bool) (int, error) {
	op := opword >> 28 & 7
	cmp := opword >> 24 & 15
	oparg := int32(opword<<8) >> 20
	cmparg := int32(opword<<20) >> 20
	if opword>>31 != 0 { // FUTEX_OP_OPARG_SHIFT
		if oparg < 0 || oparg > 31 {
			return 0, abi.EINVAL
		}
		oparg = 1 << uint(oparg)
	}
	m := t.P.MM()
	var old uint32
	for {
		v, err := t.loadWord(addr2)
		if err != nil {
			return 0, err
		}
		var nv uint32
		switch op {
		case 0:
			nv = uint32(oparg)
		case 1:
			nv = v + uint32(oparg)
		case 2:
			nv = v | uint32(oparg)
		case 3:
			nv = v &^ uint32(oparg)
		case 4:
			nv = v ^ uint32(oparg)
		default:
			return 0, abi.ENOSYS
		}
		ok, err := m.CAS32(uintptr(addr2), v, nv)
		if err != nil {
			return 0, abi.EFAULT
		}
		if ok {
			old = v
			break
		}
	}
	woken, err := futexWake(t, addr, n, FUTEX_BITSET_MATCH_ANY, private)
	if err != nil {
		return 0, err
	}
	var pass bool
	o := int32(old)
	switch cmp {
	case 0:
		pass = o == cmparg
	case 1:
		pass = o != cmparg
	case 2:
		pass = o < cmparg
	case 3:
		pass = o <= cmparg
	case 4:
		pass = o > cmparg
	case 5:
		pass = o >= cmparg
	default:
		return 0, abi.ENOSYS
	}
	if pass {
		w2, err := futexWake(t, addr2, n2, FUTEX_BITSET_MATCH_ANY, private)
		if err != nil {
			return 0, err
		}
		woken += w2
	}
	return woken, nil
}

// Robust futexes (Documentation/locking/robust-futexes.rst): at exit the
// kernel walks the thread's list of held locks, marks each FUTEX_OWNER_DIED
// and wakes one waiter.
const (
	futexOwnerDied = 0x40000000
	futexWaiters   = 0x80000000
	futexTIDMask   = 0x3fffffff
)

func (t *Task) exitRobustList() {
	head := t.robustList
	if head == 0 {
		return
	}
	m := t.P.MM()
	read := func(a uint64) (uint64, bool) {
		var b [8]byte
		if m.CopyFromUser(b[:], uintptr(a)) != nil {
			return 0, false
		}
		return binary.LittleEndian.Uint64(b[:]), true
	}
	// struct robust_list_head { next; long futex_offset; list_op_pending }
	next, ok1 := read(head)
	off, ok2 := read(head + 8)
	pending, _ := read(head + 16)
	if !ok1 || !ok2 {
		return
	}
	handle := func(entry uint64) {
		addr := entry + off
		for i := 0; i < 10; i++ {
			v, err := t.loadWord(addr)
			if err != nil || v&futexTIDMask != uint32(t.TID) {
				return
			}
			nv := v&futexWaiters | futexOwnerDied
			if swapped, err := m.CAS32(uintptr(addr), v, nv); err != nil {
				return
			} else if swapped {
				if v&futexWaiters != 0 {
					futexWake(t, addr, 1, FUTEX_BITSET_MATCH_ANY, false)
				}
				return
			}
		}
	}
	for i := 0; next != head && next != 0 && i < 2048; i++ {
		entry := next &^ 1
		n, ok := read(entry)
		if !ok {
			break
		}
		if entry != pending {
			handle(entry)
		}
		next = n
	}
	if pending != 0 {
		handle(pending &^ 1)
	}
}

func init() { reg(202, sysFutex) }

// futex(uaddr, op, val, timeout/val2, uaddr2, val3)
func sysFutex(t *Task, a *[6]uint64) (uint64, error) {
	addr, op, val := a[0], uint32(a[1]), uint32(a[2])
	private := op&FUTEX_PRIVATE_FLAG != 0
	cmd := op &^ (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
	switch cmd {
	case FUTEX_WAIT, FUTEX_WAIT_BITSET:
		bitset := uint32(FUTEX_BITSET_MATCH_ANY)
		if cmd == FUTEX_WAIT_BITSET {
			bitset = uint32(a[5])
		}
		var deadline time.Time
		has := a[3] != 0
		if has {
			d, err := t.readTimespec(a[3])
			if err != nil {
				return 0, err
			}
			if cmd == FUTEX_WAIT_BITSET {
				// An absolute time on CLOCK_MONOTONIC (or REALTIME).
				id := uint64(CLOCK_MONOTONIC)
				if op&FUTEX_CLOCK_REALTIME != 0 {
					id = CLOCK_REALTIME
				}
				now, _ := t.now(id)
				d -= time.Duration(now)
			}
			deadline = time.Now().Add(d)
		}
		return 0, futexWait(t, addr, val, bitset, private, deadline, has)
	case FUTEX_WAKE, FUTEX_WAKE_BITSET:
		bitset := uint32(FUTEX_BITSET_MATCH_ANY)
		if cmd == FUTEX_WAKE_BITSET {
			bitset = uint32(a[5])
		}
		n, err := futexWake(t, addr, int(int32(val)), bitset, private)
		return uint64(n), err
	case FUTEX_REQUEUE, FUTEX_CMP_REQUEUE:
		if int32(val) < 0 || int32(a[3]) < 0 {
			return 0, abi.EINVAL
		}
		n, err := futexRequeue(t, addr, a[4], int(int32(val)), int(int32(a[3])), cmd == FUTEX_CMP_REQUEUE, uint32(a[5]), private)
		return uint64(n), err
	case FUTEX_WAKE_OP:
		n, err := futexWakeOp(t, addr, a[4], int(int32(val)), int(int32(a[3])), uint32(a[5]), private)
		return uint64(n), err
	}
	return 0, abi.ENOSYS
}
