// segments.go: GDT and TSS. Long mode ignores segment bases and limits for
// CS/DS/ES/SS; what remains is the code segments' L bit and privilege level
// (DPL 0 for the kernel, 3 for user space) and the TSS, whose only job here
// is to hold the IST stack pointers (SDM Vol. 3A §3.4.5, §8.7): every
// vector has an IST stack, so the CPU never uses RSP0, even when an
// interrupt arrives in ring 3.

package amd64

import "unsafe"

// Selectors (SDM Vol. 3A §3.4.2: index<<3 | table | RPL). STAR
// (syscall.go) fixes their order: SYSCALL loads CS = KernelCS and SS =
// KernelCS+8; SYSRET loads SS = user32CS+8 and CS = user32CS+16, so the
// user data segment must follow a (never used) 32-bit user code segment
// and precede the 64-bit one, as in Linux's GDT.
const (
	KernelCS = 0x08
	KernelDS = 0x10
	user32CS = 0x18 | 3 // compatibility mode: not present (32-bit programs are not supported)
	UserDS   = 0x20 | 3
	UserCS   = 0x28 | 3
	tssSel   = 0x30 // a 16-byte descriptor: entries 6 and 7

	gdtEntries = 8
)

// tss is the 64-bit task-state segment (SDM Vol. 3A Figure 8-11). Its
// 64-bit fields sit at offsets 4 mod 8, which a Go struct would pad, so it
// is kept as 32-bit words: RSP0-2 at byte 4, IST1-7 at byte 36, the I/O map
// base in the upper half of the last word.
type tss struct {
	words [26]uint32
}

func (t *tss) setIST(i int, v uint64) {
	w := (36 + 8*(i-1)) / 4
	t.words[w] = uint32(v)
	t.words[w+1] = uint32(v >> 32)
}

// descriptor is the 10-byte operand of LGDT/LIDT.
type descriptor struct {
	_     [3]uint16 // padding so that base is naturally aligned after limit
	limit uint16
	base  uint64
}

func loadGDT(c *CPU) {
	c.gdt[0] = 0
	c.gdt[1] = 0x00209a0000000000 // present, DPL 0, code, L=1
	c.gdt[2] = 0x0000920000000000 // present, DPL 0, data, writable
	c.gdt[3] = 0x00cf7a000000ffff // DPL 3, 32-bit code, NOT present: a far jump to it faults
	c.gdt[4] = 0x0000f20000000000 // present, DPL 3, data, writable
	c.gdt[5] = 0x0020fa0000000000 // present, DPL 3, code, L=1
	base := uint64(uintptr(unsafe.Pointer(&c.tss)))
	limit := uint64(unsafe.Sizeof(c.tss) - 1)
	c.gdt[6] = limit&0xffff | (base&0xffffff)<<16 | 0x89<<40 | (limit>>16&0xf)<<48 | (base>>24&0xff)<<56
	c.gdt[7] = base >> 32
	for i := range c.ist {
		c.tss.setIST(i+1, uint64(uintptr(unsafe.Pointer(&c.ist[i][0]))+istSize)&^15)
	}
	c.tss.words[25] = uint32(unsafe.Sizeof(c.tss)) << 16 // no I/O permission map

	var d descriptor
	d.limit = uint16(len(c.gdt)*8 - 1)
	d.base = uint64(uintptr(unsafe.Pointer(&c.gdt[0])))
	lgdt(uintptr(unsafe.Pointer(&d.limit)))
	reloadSegments(KernelCS, KernelDS)
	ltr(tssSel)
}
