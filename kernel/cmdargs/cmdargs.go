// Package cmdargs owns the argument syntax of the shell's address-space,
// huge-page and tracing commands — mm, pt, fault, collapse, khugepaged,
// delay, stress and trace: it turns the words after a command's name into a request, or
// into a one-line error that says what is allowed, without touching the
// machine. The commands (package main) then act on the request. Keeping
// the parsing pure lets it run, and be fuzzed, on the host.
//
// Every request has an Args method that gives back canonical words:
// parsing them yields the same request. Numbers are decimal, addresses hex
// with an optional 0x prefix; nothing is rounded or cut silently — a
// misaligned address or a range that leaves user space is an error.
package cmdargs

import (
	"fmt"
	"strconv"
	"strings"

	"retract/mm"
	"retract/mm/phys"
)

// parseID parses an address-space id (decimal).
func parseID(s string) (uint32, error) {
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an address space id (see mm)", s)
	}
	return uint32(id), nil
}

// parseHex parses a hex number with an optional 0x prefix.
func parseHex(s string) (uint64, bool) {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	return v, err == nil
}

// parseUserAddr parses an address inside user space [UserBase, UserEnd).
func parseUserAddr(s string) (uintptr, error) {
	v, ok := parseHex(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a hex address", s)
	}
	if v < uint64(mm.UserBase) || v >= uint64(mm.UserEnd) {
		return 0, fmt.Errorf("%#x is not a user address: the user range is [%#x, %#x)", v, mm.UserBase, mm.UserEnd)
	}
	return uintptr(v), nil
}

// parseRange parses "ADDR PAGES": a page-aligned user address and a
// number of pages (1 to maxPages; why explains the limit) whose whole range
// stays in user space.
func parseRange(addr, pages string, maxPages int, why string) (uintptr, int, error) {
	a, err := parseUserAddr(addr)
	if err != nil {
		return 0, 0, err
	}
	if a&(phys.PageSize-1) != 0 {
		return 0, 0, fmt.Errorf("ADDR must be page aligned (4 KiB): %#x", a)
	}
	n, err := strconv.Atoi(pages)
	if err != nil || n < 1 || n > maxPages {
		return 0, 0, fmt.Errorf("PAGES must be 1 to %d%s", maxPages, why)
	}
	if end := uint64(a) + uint64(n)*phys.PageSize; end > uint64(mm.UserEnd) {
		return 0, 0, fmt.Errorf("%#x + %d pages ends at %#x, past the end of user space %#x", a, n, end, mm.UserEnd)
	}
	return a, n, nil
}

func hex(a uintptr) string { return fmt.Sprintf("%#x", a) }
