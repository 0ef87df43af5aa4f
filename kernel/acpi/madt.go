// madt.go: the Multiple APIC Description Table (ACPI 6.4 §5.2.12): which
// CPUs exist (their local APIC IDs) and where the I/O APICs are.

package acpi

// MaxCPUs bounds what MADT reports (retract runs at most 8 CPUs).
const MaxCPUs = 8

// MADT is what retract needs from the table.
type MADT struct {
	LAPICAddr uint64
	CPUs      [MaxCPUs]uint32 // APIC IDs of enabled CPUs, in table order (the boot CPU first on QEMU)
	NCPU      int
	Skipped   int // enabled CPUs beyond MaxCPUs
	Disabled  int // entries marked neither enabled nor online-capable
	IOAPIC    uint64
	IOAPICGSI uint32
	NIOAPIC   int
}

// ReadMADT parses the MADT without allocating (the boot path runs it
// before the Go runtime starts). ok is false when there is no MADT.
func ReadMADT() (m MADT, ok bool) {
	t, ok := Lookup("APIC")
	if !ok {
		return m, false
	}
	a := t.Addr
	m.LAPICAddr = uint64(b32(a + 36))
	end := a + uint64(t.Length)
	for p := a + 44; p+2 <= end; {
		typ, l := b8(p), uint64(b8(p+1))
		if l < 2 || p+l > end {
			break
		}
		switch typ {
		case 0: // processor local APIC: uid u8, APIC id u8, flags u32
			m.addCPU(uint32(b8(p+3)), b32(p+4))
		case 9: // processor local x2APIC: reserved u16, x2APIC id u32, flags u32, uid u32
			m.addCPU(b32(p+4), b32(p+8))
		case 1: // I/O APIC: id u8, reserved u8, address u32, GSI base u32
			if m.NIOAPIC == 0 {
				m.IOAPIC = uint64(b32(p + 4))
				m.IOAPICGSI = b32(p + 8)
			}
			m.NIOAPIC++
		case 5: // local APIC address override
			m.LAPICAddr = b64(p + 4)
		}
		p += l
	}
	return m, true
}

func (m *MADT) addCPU(id, flags uint32) {
	if flags&1 == 0 {
		// Not enabled; "online capable" CPUs (bit 1) could be hot-added,
		// which retract does not do.
		m.Disabled++
		return
	}
	if m.NCPU == MaxCPUs {
		m.Skipped++
		return
	}
	m.CPUs[m.NCPU] = id
	m.NCPU++
}
