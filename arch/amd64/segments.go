// segments.go: GDT and TSS. Long mode ignores segment bases and limits for
// CS/DS/ES/SS; what remains is the code segment's L bit and the TSS, whose
// only job here is to hold the IST stack pointers (SDM Vol. 3A §3.4.5, §8.7).

package amd64

import "unsafe"

// Selectors. STAR (syscall.go) depends on KernelDS == KernelCS+8.
const (
	KernelCS = 0x08
	KernelDS = 0x10
	tssSel   = 0x18 // a 16-byte descriptor: entries 3 and 4

	gdtEntries = 5
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
	base := uint64(uintptr(unsafe.Pointer(&c.tss)))
	limit := uint64(unsafe.Sizeof(c.tss) - 1)
	c.gdt[3] = limit&0xffff | (base&0xffffff)<<16 | 0x89<<40 | (limit>>16&0xf)<<48 | (base>>24&0xff)<<56
	c.gdt[4] = base >> 32
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
