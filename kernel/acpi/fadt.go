// fadt.go: power-off through the FADT (ACPI 6.4 §5.2.9) and the \_S5 object.

package acpi

import (
	"errors"
	"fmt"

	"retract/arch/amd64"
)

// Poweroff describes how to enter S5 (soft off) on this machine.
type Poweroff struct {
	HWReduced bool   // hardware-reduced ACPI (microvm): use the sleep control register
	Space     uint8  // for HWReduced: 0 = memory, 1 = I/O
	Addr      uint64 // sleep control register, or PM1a control block port
	SlpTyp    uint8  // SLP_TYPa of \_S5
}

func (p Poweroff) String() string {
	if p.HWReduced {
		return fmt.Sprintf("sleep control register %#x (space %d), SLP_TYP %d", p.Addr, p.Space, p.SlpTyp)
	}
	return fmt.Sprintf("PM1a_CNT port %#x, SLP_TYP %d", p.Addr, p.SlpTyp)
}

// FindPoweroff reads the FADT and the DSDT's \_S5 package.
func FindPoweroff() (Poweroff, error) {
	f, err := Find("FACP")
	if err != nil {
		return Poweroff{}, err
	}
	var p Poweroff
	a := f.Addr
	if f.Length >= 116 {
		p.HWReduced = b32(a+112)&(1<<20) != 0
	}
	if p.HWReduced {
		if f.Length < 256 {
			return p, errors.New("acpi: hardware-reduced FADT without a sleep control register")
		}
		p.Space = b8(a + 244)
		p.Addr = b64(a + 248)
	} else {
		p.Addr = uint64(b32(a + 64))
	}
	if p.Addr == 0 {
		return p, errors.New("acpi: FADT has no sleep/PM1a control register")
	}
	dsdt := uint64(b32(a + 40))
	if f.Length >= 148 && b64(a+140) != 0 {
		dsdt = b64(a + 140)
	}
	typ, err := s5(dsdt)
	if err != nil {
		return p, err
	}
	p.SlpTyp = typ
	return p, nil
}

// s5 finds "_S5_" in the DSDT's AML and reads the first element of its
// package (a ZeroOp, OneOp or BytePrefix constant) — the classic shortcut
// that avoids an AML interpreter, enough for QEMU's tables.
func s5(dsdt uint64) (uint8, error) {
	if !readable(dsdt, 36) || sig(dsdt) != "DSDT" {
		return 0, errors.New("acpi: no DSDT")
	}
	n := uint64(b32(dsdt + 4))
	for p := dsdt + 36; p+8 < dsdt+n; p++ {
		if b8(p) != '_' || b8(p+1) != 'S' || b8(p+2) != '5' || b8(p+3) != '_' {
			continue
		}
		q := p + 4
		if b8(q) != 0x12 { // PackageOp
			continue
		}
		q++
		q += uint64(b8(q)>>6) + 1 // PkgLength: lead byte + follow bytes
		q++                       // NumElements
		switch op := b8(q); op {
		case 0x00, 0x01: // ZeroOp, OneOp
			return op, nil
		case 0x0a: // BytePrefix
			return b8(q + 1), nil
		}
	}
	return 0, errors.New("acpi: no \\_S5 package in the DSDT")
}

// Enter writes SLP_TYP|SLP_EN: the machine turns off (QEMU exits with status 0).
func (p Poweroff) Enter() {
	if p.HWReduced {
		v := p.SlpTyp<<2 | 1<<5
		if p.Space == 1 {
			amd64.Outb(uint16(p.Addr), v)
		} else {
			*(*uint8)(amd64.PhysPtr(p.Addr)) = v
		}
		return
	}
	amd64.Outw(uint16(p.Addr), uint16(p.SlpTyp)<<10|1<<13)
}
