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
	f := m.IRQSave()
	graphW.lock()
	if has(&after[a], b) {
		graphW.unlock()
		m.IRQRestor(f)
		return
	}
	var path [MaxClasses]Class
	n := findPath(b, a, &path)
	add(&after[a], b)
	if nedges < maxEdges {
		edges[nedges] = edge{from: a, to: b, fromPC: prev.pc, toPC: h.pc}
		nedges++
		edgeAt[a][b] = uint16(nedges)
	} else {
		overflow.Store(true)
	}
	report1 := n > 0 && !has(&reportedPair[a], b)
	if report1 {
		add(&reportedPair[a], b)
	}
	graphW.unlock()
	m.IRQRestor(f)
	if report1 {
		r := Report{Kind: Inversion, Class: b, PC: h.pc, Other: a, OtherPC: prev.pc}
		// The earlier, opposite order: the first edge of the path.
		if e := edgeAt[path[0]][path[1]]; e != 0 {
			r.Before = &edges[e-1]
		}
		r.Path, r.PathLen = path, n
		report(r)
	}
}

// findPath looks for a path of recorded edges from -> ... -> to (breadth
// first, so the shortest) and, if there is one, writes its classes (from
// first, to last) into path and returns its length. It allocates nothing.
// Preconditions: graphW held.
func findPath(from, to Class, path *[MaxClasses]Class) int {
	var parent [MaxClasses]Class // 0: not reached (class 0 is never used)
	var queue [MaxClasses]Class
	qh, qt := 0, 1
	queue[0], parent[from] = from, from
	for qh < qt {
		c := queue[qh]
		qh++
		if c == to {
			n := 0
			for x := to; ; x = parent[x] {
				path[n] = x
				n++
				if x == from {
					break
				}
			}
			for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
				path[i], path[j] = path[j], path[i]
			}
			return n
		}
		for w := 0; w < MaxClasses/64; w++ {
			for bits := after[c][w]; bits != 0; {
				i := trailingZeros(bits)
				bits &^= 1 << i
				if next := Class(w*64 + i); parent[next] == 0 {
					parent[next] = c
					queue[qt] = next
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

// checkIRQSafety records how class c is taken and reports a class taken
// both in interrupt context and with interrupts on.
func checkIRQSafety(c Class, inIRQ, irqsOn bool, pc uintptr) {
	ci := &classes[c]
	switch {
	case inIRQ:
		ci.inIRQ.CompareAndSwap(0, uint64(pc))
	case irqsOn:
		ci.irqsOn.CompareAndSwap(0, uint64(pc))
	default:
		return
	}
	if ci.inIRQ.Load() != 0 && ci.irqsOn.Load() != 0 && ci.irqReported.CompareAndSwap(false, true) {
		var r Report
		r.Kind, r.Class = IRQUnsafe, c
		r.PC[0], r.OtherPC[0] = uintptr(ci.irqsOn.Load()), uintptr(ci.inIRQ.Load())
		report(r)
	}
}
