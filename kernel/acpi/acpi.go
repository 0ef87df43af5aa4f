// Package acpi finds and reads the ACPI tables the firmware left in memory
// (ACPI 6.4 §5.2): the RSDP that PVH's start_info points at, the RSDT/XSDT,
// and from them the FADT (for power-off) and, for the SMP issue, the MADT.
//
// Tables are read in place through the identity map; nothing is cached and
// nothing is written. Every reader checks signatures, lengths and
// checksums, so a missing or broken table gives an error, not a fault.
package acpi

import (
	"errors"
	"fmt"

	"retract/arch/amd64"
	"retract/mm"
)

// RSDP is the physical address of the RSDP, set at boot from start_info.
var RSDP uint64

func b8(a uint64) uint8   { return *(*uint8)(amd64.Ptr(uintptr(a))) }
func b16(a uint64) uint16 { return *(*uint16)(amd64.Ptr(uintptr(a))) }
func b32(a uint64) uint32 { return *(*uint32)(amd64.Ptr(uintptr(a))) }
func b64(a uint64) uint64 { return *(*uint64)(amd64.Ptr(uintptr(a))) }

func readable(a, n uint64) bool { return mm.KernelValid(uintptr(a), uintptr(n)) }

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

// Tables lists the tables the RSDT/XSDT points at.
func Tables() ([]Table, error) {
	if RSDP == 0 || !readable(RSDP, 36) {
		return nil, errors.New("acpi: no RSDP (the firmware gave none)")
	}
	if string([]byte{b8(RSDP), b8(RSDP + 1), b8(RSDP + 2), b8(RSDP + 3), b8(RSDP + 4), b8(RSDP + 5), b8(RSDP + 6), b8(RSDP + 7)}) != "RSD PTR " {
		return nil, fmt.Errorf("acpi: no RSDP signature at %#x", RSDP)
	}
	if !checksum(RSDP, 20) {
		return nil, errors.New("acpi: RSDP checksum is wrong")
	}
	root, entry := uint64(b32(RSDP+16)), uint64(4)
	if b8(RSDP+15) >= 2 && b64(RSDP+24) != 0 {
		root, entry = b64(RSDP+24), 8
	}
	if !readable(root, 36) {
		return nil, fmt.Errorf("acpi: root table at %#x is not in memory", root)
	}
	n := uint64(b32(root + 4))
	if n < 36 || !readable(root, n) || !checksum(root, n) {
		return nil, fmt.Errorf("acpi: root table %s at %#x is malformed", sig(root), root)
	}
	var out []Table
	for p := root + 36; p+entry <= root+n; p += entry {
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
		out = append(out, Table{Addr: a, Length: l})
	}
	return out, nil
}

// Find returns the first table with signature s.
func Find(s string) (Table, error) {
	ts, err := Tables()
	if err != nil {
		return Table{}, err
	}
	for _, t := range ts {
		if t.Sig() == s {
			if !checksum(t.Addr, uint64(t.Length)) {
				return Table{}, fmt.Errorf("acpi: %s checksum is wrong", s)
			}
			return t, nil
		}
	}
	return Table{}, fmt.Errorf("acpi: no %s table", s)
}
