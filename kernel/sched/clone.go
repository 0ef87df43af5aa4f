// clone.go: creating threads for the Go runtime's clone.

package sched

import "retract/arch/amd64"

// Clone creates a thread that resumes from the parent's trap frame with the
// Linux clone contract the Go runtime relies on (runtime/sys_linux_amd64.s,
// runtime·clone): every register as the parent had it except RAX = 0, RSP =
// stack and FS base = tls. It returns the new thread's id, or -1 when the
// thread table or memory is exhausted. Trap context.
func Clone(parent *amd64.TrapFrame, stack, tls uintptr) int32 {
	lock.Lock()
	t := allocThreadLocked()
	if t == nil {
		lock.Unlock()
		return -1
	}
	sp, tf := amd64.NewKernelStack(t.kstackLo, t.kstackTop)
	*tf = *parent
	tf.RAX = 0
	tf.RSP = uint64(stack)
	tf.TLSG = 0 // the new thread's TLS g slot: the runtime fills it in
	t.ctx = sp
	t.FSBase = tls
	t.SigMask = Current().SigMask
	tid := t.tid
	enqueueLocked(t)
	lock.Unlock()
	kick()
	return tid
}
