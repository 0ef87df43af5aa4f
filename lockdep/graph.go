// graph.go: the order in which classes have been taken, and inversions.

package lockdep

import "sync/atomic"

// StackDepth is how many return addresses a recorded acquisition keeps.
const StackDepth = 12

// maxEdges bounds the recorded class pairs.
const maxEdges = 512

// edge is the first time class to was taken while class from was held.
type edge struct {
	from, to Class
	fromPC   [StackDepth]uintptr // where from was taken
	toPC     [StackDepth]uintptr // where to was taken
}

var (
	// after[a] has bit b set when b was taken while a was held.
	after    [MaxClasses][MaxClasses / 64]uint64
	edgeAt   [MaxClasses][MaxClasses]uint16 // 1 + index into edges; 0: none
	edges    [maxEdges]edge
	nedges   int
	graphW   word
	overflow atomic.Bool
	// reported marks pairs already reported as inverted (once each).
	reportedPair [MaxClasses][MaxClasses / 64]uint64
)

func has(set *[MaxClasses / 64]uint64, c Class) bool { return set[c/64]&(1<<(c%64)) != 0 }
func add(set *[MaxClasses / 64]uint64, c Class)      { set[c/64] |= 1 << (c % 64) }

// checkOrder records the edges held -> c for every lock held in the
// given stacks (the nil ones are skipped) and reports an edge that closes
// a cycle. Preconditions: interrupts off (spinlocks) or process context.
func checkOrder(c Class, h *held, stacks ...*heldStack) {
	for _, s := range stacks {
		if s == nil {
			continue
		}
		for i := 0; i < s.n; i++ {
			prev := &s.h[i]
			if prev.lock == h.lock && !(prev.read && h.read) {
				report(Report{Kind: Recursive, Class: c, PC: h.pc, Other: c, OtherPC: prev.pc})
				continue
			}
			if prev.class == c {
				continue // two locks of one class (different instances): no order to learn
			}
			addEdge(prev, h)
		}
	}
}

// addEdge records prev.class -> h.class, if new, and checks whether the
// opposite order is already known (a path h.class -> ... -> prev.class).
func addEdge(prev, h *held) {
	a, b := prev.class, h.class
	if has(&after[a], b) {
		return // known: the common case, no lock taken
	}
	f, _ := m.IRQSave()
	graphW.lock()
	if has(&after[a], b) {
		graphW.unlock()
		m.IRQRestor(f)
		return
	}
	n := findPath(b, a)
	var r Report
	if n > 0 && !has(&reportedPair[a], b) {
		add(&reportedPair[a], b)
		r = Report{Kind: Inversion, Class: b, PC: h.pc, Other: a, OtherPC: prev.pc}
		// The earlier, opposite order: the first edge of the path.
		if e := edgeAt[pathBuf[0]][pathBuf[1]]; e != 0 {
			r.Before = &edges[e-1]
		}
		r.PathLen = min(n, MaxPath)
		copy(r.Path[:], pathBuf[:r.PathLen])
	}
	add(&after[a], b)
	if nedges < maxEdges {
		edges[nedges] = edge{from: a, to: b, fromPC: prev.pc, toPC: h.pc}
		nedges++
		edgeAt[a][b] = uint16(nedges)
	} else {
		overflow.Store(true)
	}
	graphW.unlock()
	m.IRQRestor(f)
	if r.PathLen > 0 {
		report(r)
	}
}

// The breadth-first search's state: globals under graphW, not locals, so
// that the validator's frames stay small — it runs inside other code's
// critical sections, on goroutine stacks that must not grow there.
var (
	pathBuf, parentBuf, queueBuf [MaxClasses]Class
)

// findPath looks for a path of recorded edges from -> ... -> to (breadth
// first, so the shortest) and, if there is one, writes its classes (from
// first, to last) into pathBuf and returns its length. It allocates
// nothing. Preconditions: graphW held.
func findPath(from, to Class) int {
	clear(parentBuf[:]) // 0: not reached (class 0 is never used)
	qh, qt := 0, 1
	queueBuf[0], parentBuf[from] = from, from
	for qh < qt {
		c := queueBuf[qh]
		qh++
		if c == to {
			n := 0
			for x := to; ; x = parentBuf[x] {
				pathBuf[n] = x
				n++
				if x == from {
					break
				}
			}
			for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
				pathBuf[i], pathBuf[j] = pathBuf[j], pathBuf[i]
			}
			return n
		}
		for w := 0; w < MaxClasses/64; w++ {
			for bits := after[c][w]; bits != 0; {
				i := trailingZeros(bits)
				bits &^= 1 << i
				if next := Class(w*64 + i); parentBuf[next] == 0 {
					parentBuf[next] = c
					queueBuf[qt] = next
					qt++
				}
			}
		}
	}
	return 0
}

func trailingZeros(x uint64) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// checkIRQSafety records how class c is taken (pc: the acquisition's
// stack) and reports a class taken both in interrupt context and with
// interrupts on, with the first stack of each.
func checkIRQSafety(c Class, inIRQ, irqsOn bool, pc *[StackDepth]uintptr) {
	ci := &classes[c]
	switch {
	case inIRQ:
		if ci.inIRQ.CompareAndSwap(false, true) {
			ci.inIRQPC = *pc
			ci.inIRQSet.Store(true)
		}
	case irqsOn:
		if ci.irqsOn.CompareAndSwap(false, true) {
			ci.irqsOnPC = *pc
			ci.irqsOnSet.Store(true)
		}
	default:
		return
	}
	if ci.inIRQSet.Load() && ci.irqsOnSet.Load() && ci.irqReported.CompareAndSwap(false, true) {
		report(Report{Kind: IRQUnsafe, Class: c, PC: ci.irqsOnPC, OtherPC: ci.inIRQPC})
	}
}
