// alloc.go: how package mm takes frames for user memory — page tables,
// anonymous pages, page-cache pages, huge pages — with a fault injection
// switch for the tests (like Linux's fail_page_alloc): FailPageAlloc makes
// the allocations after the next n fail, so that a test can make an
// operation run out of memory at every point it allocates.

// trapctx: process context only

package mm

import (
	"sync/atomic"

	"retract/mm/phys"
)

var (
	failOn   atomic.Bool
	failLeft atomic.Int64
)

// FailPageAlloc lets the next n user allocations of package mm succeed
// and makes every one after them fail (as if memory had run out), until
// FailPageAlloc(-1) switches the injection off. A test hook: it is global,
// so the test must be the only one allocating user memory meanwhile.
func FailPageAlloc(n int) {
	if n < 0 {
		failOn.Store(false)
		return
	}
	failLeft.Store(int64(n))
	failOn.Store(true)
}

// injectFail reports whether this allocation is to fail.
func injectFail() bool {
	return failOn.Load() && failLeft.Add(-1) < 0
}

// allocUserTable returns a zeroed page-table frame for a user address
// space (phys.AllocUserTable).
func allocUserTable() (uint64, bool) {
	if injectFail() {
		return 0, false
	}
	return phys.AllocUserTable()
}

// allocUserPage returns a block of 2^order frames of kind for user memory
// (phys.Frames.AllocUser), not zeroed.
func allocUserPage(order int, kind phys.Kind) (uint64, bool) {
	if injectFail() {
		return 0, false
	}
	return phys.Frames.AllocUser(order, kind)
}
