// vma.go: the VMA set of one address space — find, insert, unmap, protect, advise, free-range search.

// trapctx: process context only

package mm

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"retract/mm/phys"
)

// VMAFlags are the properties of a VMA other than its protection.
type VMAFlags uint32

// VMA flags. Bits 10 and up are free for later use.
const (
	VMShared      VMAFlags = 1 << 0 // MAP_SHARED: writes reach the file; no COW
	VMHugepage    VMAFlags = 1 << 1 // MADV_HUGEPAGE: khugepaged may collapse this range
	VMNoHugepage  VMAFlags = 1 << 2 // MADV_NOHUGEPAGE: never use huge pages here
	VMAnon        VMAFlags = 1 << 3 // anonymous memory (set by the caller; not derived from File)
	VMDontCopy    VMAFlags = 1 << 4 // MADV_DONTFORK (VM_DONTCOPY): a fork leaves it out
	VMWipeOnFork  VMAFlags = 1 << 5 // MADV_WIPEONFORK: the child gets zeroes here
	VMStack       VMAFlags = 1 << 6 // the stack (VM_STACK: exec, MAP_GROWSDOWN): /proc's [stack], VmStk
	VMNoMayWrite  VMAFlags = 1 << 7 // a shared mapping of a file opened read-only (no VM_MAYWRITE): mprotect(PROT_WRITE) is EACCES
	VMLocked      VMAFlags = 1 << 8 // mlock (VM_LOCKED): kept in memory, faulted in when locked unless VMLockOnFault
	VMLockOnFault VMAFlags = 1 << 9 // mlock2(MLOCK_ONFAULT) (VM_LOCKONFAULT): locked as pages arrive
)

var vmaFlagNames = []string{"shared", "hugepage", "nohugepage", "anon", "dontcopy", "wipeonfork", "stack", "nomaywrite", "locked", "lockonfault"}

// String returns the flags as a list like "shared|hugepage", or "-".
func (f VMAFlags) String() string {
	names := vmaFlagNames
	var parts []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ (1<<len(names) - 1); rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(rest)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "|")
}

// VMA is one virtual memory area: a page-aligned range [Start, End) with one
// protection, one set of flags and one backing object.
type VMA struct {
	Start, End uintptr // [Start, End), page aligned, Start < End
	Prot       Prot
	Flags      VMAFlags
	// File is the backing object, nil for anonymous memory. It is opaque
	// here but compared with ==, so it must be a comparable value
	// (normally a pointer).
	File any
	// Pgoff is the file offset of Start, in pages. For an anonymous VMA
	// it is Start>>PageShift (as in Linux), set by Insert, so that the
	// one merge and split rule below covers both kinds.
	Pgoff uint64
}

// Pages returns the number of pages v covers.
func (v *VMA) Pages() uint64 { return uint64(v.End-v.Start) >> phys.PageShift }

// String formats v like a line of /proc/PID/maps.
func (v VMA) String() string {
	file := "anon"
	if v.File != nil {
		file = fmt.Sprintf("file %v", v.File)
	}
	return fmt.Sprintf("%#x-%#x %v %v pgoff %#x %s", v.Start, v.End, v.Prot, v.Flags, v.Pgoff, file)
}

// Errors returned by the VMASet operations (wrapped with the range).
var (
	ErrBadRange  = errors.New("vma: empty or not page-aligned range")
	ErrOverlap   = errors.New("vma: range overlaps an existing VMA")
	ErrNotMapped = errors.New("vma: range is not fully mapped")
	ErrBadFlags  = errors.New("vma: flags both set and cleared")
)

// VMASet is the set of VMAs of one address space.
//
// It is a slice sorted by Start, searched with binary search: simple, and
// fast for the tens of VMAs a process here has (an insertion or removal
// moves at most the whole slice, a few hundred bytes). It has no lock of its
// own: the owning mm's mmap_lock protects it.
//
// Invariants (check verifies them):
//   - every VMA is non-empty and page aligned;
//   - VMAs are sorted by Start and do not overlap;
//   - an anonymous VMA's Pgoff is Start>>PageShift;
//   - no two neighbours are mergeable (see mergeable): after every change
//     the set is in its canonical, fewest-VMAs form.
//
// The zero value is an empty set.
type VMASet struct {
	v     []VMA
	pages uint64 // the pages all VMAs cover (Linux's total_vm)
}

// Len returns the number of VMAs.
func (s *VMASet) Len() int { return len(s.v) }

// TotalPages returns the number of pages the VMAs cover (total_vm).
func (s *VMASet) TotalPages() uint64 { return s.pages }

// All returns a copy of the VMAs, in address order.
func (s *VMASet) All() []VMA { return append([]VMA(nil), s.v...) }

// search returns the index of the first VMA that ends after va (so the one
// containing va, if any, or else the first one above va).
func (s *VMASet) search(va uintptr) int {
	return sort.Search(len(s.v), func(i int) bool { return s.v[i].End > va })
}

// Find returns the VMA containing va, or nil, like Linux's
// find_vma_intersection for a single address. The pointer is valid until
// the next change of the set; callers must not change Start or End.
func (s *VMASet) Find(va uintptr) *VMA {
	i := s.search(va)
	if i < len(s.v) && s.v[i].Start <= va {
		return &s.v[i]
	}
	return nil
}

func pageAligned(a uintptr) bool { return a&(phys.PageSize-1) == 0 }

func checkRange(start, end uintptr) error {
	if start >= end || !pageAligned(start) || !pageAligned(end) {
		return fmt.Errorf("%w: [%#x, %#x)", ErrBadRange, start, end)
	}
	return nil
}

// Insert adds v. It fails if v is empty, not page aligned, or overlaps a
// VMA already in the set. v is merged with mergeable neighbours.
func (s *VMASet) Insert(v VMA) error {
	if err := checkRange(v.Start, v.End); err != nil {
		return err
	}
	if v.File == nil {
		v.Pgoff = uint64(v.Start >> phys.PageShift)
	}
	i := s.search(v.Start)
	if i < len(s.v) && s.v[i].Start < v.End {
		return fmt.Errorf("%w: [%#x, %#x) and %v", ErrOverlap, v.Start, v.End, s.v[i])
	}
	s.v = append(s.v, VMA{})
	copy(s.v[i+1:], s.v[i:])
	s.v[i] = v
	s.pages += v.Pages()
	s.merge(i-1, i+1)
	return nil
}

// mergeable reports whether b can be folded into a: they touch, have the
// same protection, flags and backing object, and b's offset continues a's
// (for an anonymous VMA that always holds, see VMA.Pgoff).
func mergeable(a, b *VMA) bool {
	return a.End == b.Start && a.Prot == b.Prot && a.Flags == b.Flags &&
		a.File == b.File && a.Pgoff+a.Pages() == b.Pgoff
}

// merge folds mergeable neighbours among s.v[lo..hi] (indexes clamped to
// the slice) into one VMA each. Callers pass the range they changed plus
// one neighbour on each side.
func (s *VMASet) merge(lo, hi int) {
	lo = max(lo, 0)
	hi = min(hi, len(s.v)-1)
	if lo >= hi {
		return
	}
	w := lo // last kept VMA
	for r := lo + 1; r <= hi; r++ {
		if mergeable(&s.v[w], &s.v[r]) {
			s.v[w].End = s.v[r].End
			continue
		}
		w++
		s.v[w] = s.v[r]
	}
	s.v = append(s.v[:w+1], s.v[hi+1:]...)
}

// split cuts the VMA that strictly contains addr (Start < addr < End), if
// any, into [Start, addr) and [addr, End); the right part's Pgoff is
// advanced by the pages of the left part.
func (s *VMASet) split(addr uintptr) {
	i := s.search(addr)
	if i == len(s.v) || s.v[i].Start >= addr {
		return
	}
	left := s.v[i]
	right := left
	left.End = addr
	right.Start = addr
	right.Pgoff += left.Pages()
	s.v = append(s.v, VMA{})
	copy(s.v[i+2:], s.v[i+1:])
	s.v[i], s.v[i+1] = left, right
}

// span splits at start and end and returns the index range [lo, hi) of the
// VMAs inside [start, end).
func (s *VMASet) span(start, end uintptr) (lo, hi int) {
	s.split(start)
	s.split(end)
	return s.search(start), s.search(end)
}

// Unmap removes [start, end) from the set, splitting the VMAs at its edges
// (like munmap), and returns the removed pieces in address order. start is
// rounded down and end up to page boundaries; an empty range removes
// nothing. Holes in the range are not an error.
func (s *VMASet) Unmap(start, end uintptr) []VMA {
	start &^= phys.PageSize - 1
	if end > ^uintptr(0)-(phys.PageSize-1) {
		end = ^uintptr(0) &^ (phys.PageSize - 1)
	} else {
		end = (end + phys.PageSize - 1) &^ (phys.PageSize - 1)
	}
	if start >= end {
		return nil
	}
	lo, hi := s.span(start, end)
	removed := append([]VMA(nil), s.v[lo:hi]...)
	s.v = append(s.v[:lo], s.v[hi:]...)
	for i := range removed {
		s.pages -= removed[i].Pages()
	}
	// Nothing to merge: the removed range leaves a gap between the
	// neighbours, and the split pieces outside it were not touched.
	return removed
}

// mapped reports whether every page of [start, end) belongs to a VMA.
func (s *VMASet) mapped(start, end uintptr) bool {
	at := start
	for i := s.search(start); i < len(s.v) && at < end; i++ {
		if s.v[i].Start > at {
			return false
		}
		at = s.v[i].End
	}
	return at >= end
}

// mappedUntil returns the end of the part of [start, end) that VMAs map
// without a hole, starting at start (start itself if start is not
// mapped).
func (s *VMASet) mappedUntil(start, end uintptr) uintptr {
	at := start
	for i := s.search(start); i < len(s.v) && at < end; i++ {
		if s.v[i].Start > at {
			break
		}
		at = s.v[i].End
	}
	return min(at, end)
}

// update applies f to every VMA in [start, end), splitting at the edges and
// merging afterwards. It fails, changing nothing, if the range is not page
// aligned or not fully mapped.
func (s *VMASet) update(start, end uintptr, f func(*VMA)) error {
	if err := checkRange(start, end); err != nil {
		return err
	}
	if !s.mapped(start, end) {
		return fmt.Errorf("%w: [%#x, %#x)", ErrNotMapped, start, end)
	}
	lo, hi := s.span(start, end)
	for i := lo; i < hi; i++ {
		f(&s.v[i])
	}
	s.merge(lo-1, hi)
	return nil
}

// Protect sets the protection of [start, end) to prot (like mprotect),
// splitting VMAs at the edges. It fails, changing nothing, if the range is
// not page aligned or not fully mapped.
func (s *VMASet) Protect(start, end uintptr, prot Prot) error {
	return s.update(start, end, func(v *VMA) { v.Prot = prot })
}

// Advise sets the flags set and clears the flags clear on [start, end)
// (like madvise(MADV_HUGEPAGE) and friends), with Protect's splitting and
// error rules. A flag in both set and clear is an error.
func (s *VMASet) Advise(start, end uintptr, set, clear VMAFlags) error {
	if set&clear != 0 {
		return fmt.Errorf("%w: %v", ErrBadFlags, set&clear)
	}
	return s.update(start, end, func(v *VMA) { v.Flags = v.Flags&^clear | set })
}

// AdviseAll sets the flags set and clears the flags clear on every VMA
// (mlockall, munlockall), merging the neighbours that become alike.
func (s *VMASet) AdviseAll(set, clear VMAFlags) {
	for i := range s.v {
		s.v[i].Flags = s.v[i].Flags&^clear | set
	}
	s.merge(0, len(s.v)-1)
}

// FreeRange returns the lowest page-aligned address a such that
// [a, a+length) lies in [lo, hi) and overlaps no VMA (length is rounded up
// to pages), and whether there is one.
func (s *VMASet) FreeRange(length uintptr, lo, hi uintptr) (uintptr, bool) {
	const mask = phys.PageSize - 1
	if length == 0 || length > ^uintptr(0)-mask || lo > ^uintptr(0)-mask {
		return 0, false
	}
	length = (length + mask) &^ mask
	a := (lo + mask) &^ mask
	for i := s.search(a); i < len(s.v); i++ {
		v := &s.v[i]
		if v.Start > a && v.Start-a >= length {
			break // the gap below v fits; later ones are higher
		}
		a = max(a, v.End)
	}
	if a > hi || length > hi-a {
		return 0, false
	}
	return a, true
}

// FreeRangeTopDown returns the highest address a, a multiple of align (a
// power of two, at least a page), such that [a, a+length) lies in [lo,
// hi) and overlaps no VMA (length is rounded up to pages), and whether
// there is one: Linux's top-down search below mmap_base
// (vm_unmapped_area with VM_UNMAPPED_AREA_TOPDOWN).
func (s *VMASet) FreeRangeTopDown(length, lo, hi, align uintptr) (uintptr, bool) {
	const mask = phys.PageSize - 1
	if length == 0 || length > ^uintptr(0)-mask || lo > ^uintptr(0)-mask || align < phys.PageSize || align&(align-1) != 0 {
		return 0, false
	}
	length = (length + mask) &^ mask
	lo = (lo + mask) &^ mask
	hi &^= mask
	top := hi // the top of the gap being looked at
	for i := len(s.v) - 1; i >= -1; i-- {
		bottom := lo
		if i >= 0 {
			v := &s.v[i]
			if v.Start >= top {
				continue // above the gap
			}
			if v.End > top {
				top = v.Start // straddles the top: the gap is below it
				continue
			}
			bottom = max(lo, v.End)
		}
		if top > bottom && top-bottom >= length {
			if a := (top - length) &^ (align - 1); a >= bottom {
				return a, true
			}
		}
		if i < 0 || s.v[i].Start <= lo {
			break
		}
		top = s.v[i].Start
	}
	return 0, false
}

// Next returns the first VMA that starts at or after va, or nil.
func (s *VMASet) Next(va uintptr) *VMA {
	i := sort.Search(len(s.v), func(i int) bool { return s.v[i].Start >= va })
	if i < len(s.v) {
		return &s.v[i]
	}
	return nil
}

// check verifies the invariants documented on VMASet.
func (s *VMASet) check() error {
	var pages uint64
	for i := range s.v {
		pages += s.v[i].Pages()
	}
	if pages != s.pages {
		return fmt.Errorf("the VMAs cover %d pages, the count says %d", pages, s.pages)
	}
	for i := range s.v {
		v := &s.v[i]
		if err := checkRange(v.Start, v.End); err != nil {
			return fmt.Errorf("vma %d %v: %w", i, *v, err)
		}
		if v.File == nil && v.Pgoff != uint64(v.Start>>phys.PageShift) {
			return fmt.Errorf("vma %d %v: anonymous pgoff is not Start>>PageShift", i, *v)
		}
		if i == 0 {
			continue
		}
		p := &s.v[i-1]
		if p.End > v.Start {
			return fmt.Errorf("vmas %d %v and %d %v are unsorted or overlap", i-1, *p, i, *v)
		}
		if mergeable(p, v) {
			return fmt.Errorf("vmas %d %v and %d %v should have been merged", i-1, *p, i, *v)
		}
	}
	return nil
}

// Overlaps reports whether any VMA intersects [start, end).
func (s *VMASet) Overlaps(start, end uintptr) bool {
	i := s.search(start)
	return i < len(s.v) && s.v[i].Start < end && start < end
}
