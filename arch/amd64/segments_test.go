package amd64

import (
	"testing"
	"unsafe"
)

// The hardware layouts are fixed by the SDM; Go must not pad them.
func TestLayouts(t *testing.T) {
	if s := unsafe.Sizeof(tss{}); s != 104 {
		t.Errorf("TSS is %d bytes, want 104", s)
	}
	var x tss
	x.setIST(1, 0x1122334455667788)
	if x.words[9] != 0x55667788 || x.words[10] != 0x11223344 {
		t.Errorf("IST1 not at byte 36: %x", x.words)
	}
	if s := unsafe.Sizeof(gate{}); s != 16 {
		t.Errorf("IDT gate is %d bytes, want 16", s)
	}
	var d descriptor
	if off := unsafe.Offsetof(d.base) - unsafe.Offsetof(d.limit); off != 2 {
		t.Errorf("descriptor base is %d bytes after limit, want 2", off)
	}
	if s := unsafe.Sizeof(TrapFrame{}); s != frameWords*8 {
		t.Errorf("TrapFrame is %d bytes, want %d", s, frameWords*8)
	}
	var g KernelG
	if unsafe.Offsetof(g.StackGuard0) != 16 || unsafe.Offsetof(g.StackHi) != 8 {
		t.Error("KernelG does not match the runtime's g layout (stack.lo, stack.hi, stackguard0)")
	}
}

// TestErrorCodeMask checks the assembly's mask against the exception table.
func TestErrorCodeMask(t *testing.T) {
	for v, e := range Exceptions {
		if got := errorCodeMask>>v&1 == 1; got != e.HasError {
			t.Errorf("vector %d (%s): mask says error code %v, table says %v", v, e.Name, got, e.HasError)
		}
	}
	if !Exceptions[14].HasError || Exceptions[14].Mnemonic != "#PF" || !Exceptions[8].HasError || Exceptions[8].Mnemonic != "#DF" {
		t.Error("vectors 8 and 14 must be #DF and #PF with error codes")
	}
}
