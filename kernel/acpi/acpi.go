// Package acpi finds and reads the ACPI tables the firmware left in memory
// (ACPI 6.4 §5.2): the RSDP that PVH's start_info points at, the RSDT/XSDT,
// and from them the FADT (for power-off) and, for the SMP issue, the MADT.
//
// Tables are read in place through the direct map; nothing is cached and
// nothing is written. Every reader checks signatures, lengths and
// checksums, so a missing or broken table gives an error, not a fault.
package acpi

import (
	"errors"
	"fmt"

	"retract/arch/amd64"
	"retract/mm/phys"
)

// RSDP is the physical address of the RSDP, set at boot from start_info.
var RSDP uint64

// b8 ... b64 read physical memory through the direct map.
func b8(a uint64) uint8   { return *(*uint8)(amd64.PhysPtr(a)) }
func b16(a uint64) uint16 { return *(*uint16)(amd64.PhysPtr(a)) }
func b32(a uint64) uint32 { return *(*uint32)(amd64.PhysPtr(a)) }
func b64(a uint64) uint64 { return *(*uint64)(amd64.PhysPtr(a)) }

// readable reports whether physical [a, a+n) is in the direct map.
func readable(a, n uint64) bool {
	return a+n >= a && a+n <= uint64(phys.MaxRAM) && phys.KernelValid(phys.VA(a), uintptr(n))
}

func sig(a uint64) string {
	return string([]byte{b8(a), b8(a + 1), b8(a + 2), b8(a + 3)})
}

func checksum(a, n uint64) bool {
	var s uint8
	for i := uint64(0); i < n; i++ {
		s += b8(a + i)
	}
	return s == 0
}

// Table is one ACPI table in memory.
type Table struct {
	Addr   uint64
	Length uint32
}

// Sig returns the table's signature.
func (t Table) Sig() string { return sig(t.Addr) }

// root returns the RSDT/XSDT address, its entry size and length, or ok=false.
// It does not allocate (the boot path uses it before the Go runtime runs).
func root() (addr, entry, n uint64, ok bool) {
	if RSDP == 0 || !readable(RSDP, 36) {
		return 0, 0, 0, false
	}
	const sig = "RSD PTR "
	for i := 0; i < len(sig); i++ {
		if b8(RSDP+uint64(i)) != sig[i] {
			return 0, 0, 0, false
		}
	}
	if !checksum(RSDP, 20) {
		return 0, 0, 0, false
	}
	addr, entry = uint64(b32(RSDP+16)), 4
	if b8(RSDP+15) >= 2 && b64(RSDP+24) != 0 {
		addr, entry = b64(RSDP+24), 8
	}
	if !readable(addr, 36) {
		return 0, 0, 0, false
	}
	n = uint64(b32(addr + 4))
	if n < 36 || !readable(addr, n) || !checksum(addr, n) {
		return 0, 0, 0, false
	}
	return addr, entry, n, true
}

// each calls f for every table the root points at, until f returns false.
// It does not allocate.
func each(f func(Table) bool) bool {
	r, entry, n, ok := root()
	if !ok {
		return false
	}
	for p := r + 36; p+entry <= r+n; p += entry {
		a := uint64(b32(p))
		if entry == 8 {
			a = b64(p)
		}
		if !readable(a, 36) {
			continue
		}
		l := b32(a + 4)
		if l < 36 || !readable(a, uint64(l)) {
			continue
		}
		if !f(Table{Addr: a, Length: l}) {
			break
		}
	}
	return true
}

// Lookup finds the table with signature s and a good checksum, without
// allocating.
func Lookup(s string) (Table, bool) {
	var found Table
	ok := false
	each(func(t Table) bool {
		a := t.Addr
		if b8(a) == s[0] && b8(a+1) == s[1] && b8(a+2) == s[2] && b8(a+3) == s[3] && checksum(a, uint64(t.Length)) {
			found, ok = t, true
			return false
		}
		return true
	})
	return found, ok
}

// Tables lists the tables the RSDT/XSDT points at.
func Tables() ([]Table, error) {
	if RSDP == 0 {
		return nil, errors.New("acpi: no RSDP (the firmware gave none)")
	}
	var out []Table
	if !each(func(t Table) bool { out = append(out, t); return true }) {
		return nil, fmt.Errorf("acpi: no valid RSDP/RSDT at %#x", RSDP)
	}
	return out, nil
}

// Find returns the first table with signature s.
func Find(s string) (Table, error) {
	if t, ok := Lookup(s); ok {
		return t, nil
	}
	if _, err := Tables(); err != nil {
		return Table{}, err
	}
	return Table{}, fmt.Errorf("acpi: no %s table (or a bad checksum)", s)
}
