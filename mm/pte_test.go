// pte_test.go: host tests of the PTE helpers and Prot.

package mm

import (
	"testing"

	"retract/arch/amd64"
)

const (
	tP  = amd64.PTEPresent
	tW  = amd64.PTEWrite
	tU  = amd64.PTEUser
	tA  = amd64.PTEAccessed
	tD  = amd64.PTEDirty
	tPS = amd64.PTEHuge
	tNX = amd64.PTENX
)

func TestProt(t *testing.T) {
	for _, c := range []struct {
		prot  Prot
		flags amd64.PTE
		str   string
	}{
		{ProtNone, PteProtNone, "---"}, // not present for the MMU, still a mapping
		{ProtRead, tP | tU | tNX, "r--"},
		{ProtRead | ProtWrite, tP | tU | tW | tNX, "rw-"},
		{ProtRead | ProtExec, tP | tU, "r-x"},
		{ProtRead | ProtWrite | ProtExec, tP | tU | tW, "rwx"},
		{ProtWrite, tP | tU | tW | tNX, "-w-"}, // no write-only pages on amd64
		{ProtExec, tP | tU, "--x"},
	} {
		if got := c.prot.PTEFlags(); got != c.flags {
			t.Errorf("%v.PTEFlags() = %#x, want %#x", c.prot, uint64(got), uint64(c.flags))
		}
		if got := c.prot.String(); got != c.str {
			t.Errorf("Prot(%d).String() = %q, want %q", c.prot, got, c.str)
		}
	}
}

func TestPtePredicates(t *testing.T) {
	page := amd64.MakePTE(0x1234000, tP|tU|tW|tNX)
	for _, c := range []struct {
		name                               string
		p                                  amd64.PTE
		none, present, write, dirty, young bool
		pfn                                uint64
	}{
		{"zero", 0, true, false, false, false, false, 0},
		{"rw page", page, false, true, true, false, false, 0x1234},
		{"ro young", page&^tW | tA, false, true, false, false, true, 0x1234},
		{"dirty", page | tD | tA, false, true, true, true, true, 0x1234},
		{"not present, soft bit", amd64.PTESoft0, false, false, false, false, false, 0},
		{"top frame", amd64.MakePTE(0xffffffffff000, tP), false, true, false, false, false, 0xffffffffff},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PteNone(c.p); got != c.none {
				t.Errorf("PteNone = %v", got)
			}
			if got := PtePresent(c.p); got != c.present {
				t.Errorf("PtePresent = %v", got)
			}
			if got := PteWrite(c.p); got != c.write {
				t.Errorf("PteWrite = %v", got)
			}
			if got := PteDirty(c.p); got != c.dirty {
				t.Errorf("PteDirty = %v", got)
			}
			if got := PteYoung(c.p); got != c.young {
				t.Errorf("PteYoung = %v", got)
			}
			if got := PtePFN(c.p); got != c.pfn {
				t.Errorf("PtePFN = %#x, want %#x", got, c.pfn)
			}
		})
	}
}

func TestPteSame(t *testing.T) {
	p := PfnPTE(42, ProtRead|ProtWrite)
	for _, c := range []struct {
		name string
		a, b amd64.PTE
		same bool
	}{
		{"identical", p, p, true},
		{"both none", 0, 0, true},
		{"accessed differs", p, p | amd64.PTEAccessed, false},
		{"dirty differs", p, PteMkDirty(p), false},
		{"write differs", p, p &^ amd64.PTEWrite, false},
		{"pfn differs", p, PfnPTE(43, ProtRead|ProtWrite), false},
		{"none vs page", 0, p, false},
	} {
		if got := PteSame(c.a, c.b); got != c.same {
			t.Errorf("%s: PteSame(%#x, %#x) = %v", c.name, uint64(c.a), uint64(c.b), got)
		}
	}
}

func TestPfnPTEAndModifiers(t *testing.T) {
	for _, c := range []struct {
		name string
		got  amd64.PTE
		want amd64.PTE
	}{
		{"pfn_pte r--", PfnPTE(7, ProtRead), 7<<12 | tP | tU | tNX},
		{"pfn_pte rwx", PfnPTE(7, ProtRead|ProtWrite|ProtExec), 7<<12 | tP | tU | tW},
		{"pfn_pte none keeps the page", PfnPTE(7, ProtNone), 7<<12 | PteProtNone},
		{"pfn too big is masked", PfnPTE(1<<40|5, ProtRead), 5<<12 | tP | tU | tNX},
		{"mkwrite", PteMkWrite(PfnPTE(7, ProtRead)), 7<<12 | tP | tU | tW | tNX},
		{"mkwrite idempotent", PteMkWrite(PfnPTE(7, ProtRead|ProtWrite)), 7<<12 | tP | tU | tW | tNX},
		{"mkdirty", PteMkDirty(PfnPTE(7, ProtRead)), 7<<12 | tP | tU | tD | tNX},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.name, uint64(c.got), uint64(c.want))
		}
	}
	if e := PfnPTE(7, ProtNone); e.Present() || !PtePresent(e) || PtePFN(e) != 7 || PfnPMD(7, ProtNone) != 0 {
		t.Errorf("a PROT_NONE entry %#x must be absent for the MMU, present for pte_present, and keep its frame; a PROT_NONE huge PMD is none", uint64(e))
	}
	if ProtWrite.readOnly() != ProtRead || ProtNone.readOnly() != ProtNone || (ProtWrite|ProtExec).readOnly() != ProtRead|ProtExec {
		t.Errorf("readOnly must keep the page readable and PROT_NONE none")
	}
	// The modifiers return copies.
	p := PfnPTE(9, ProtRead)
	_ = PteMkWrite(p)
	if PteWrite(p) {
		t.Error("PteMkWrite changed its argument")
	}
}

func TestPmd(t *testing.T) {
	table := amd64.MakePTE(0x200000+0x5000, tP|tW|tU)
	huge := amd64.MakePTE(0x40200000, tP|tW|tU|tPS|tNX|amd64.PTE(1<<12)) // bit 12: PAT
	for _, c := range []struct {
		name            string
		p               amd64.PTE
		none, huge, bad bool
		pfn             uint64
	}{
		{"none", 0, true, false, false, 0},
		{"user table", table, false, false, false, 0x205},
		{"kernel table", table &^ tU, false, false, false, 0x205},
		{"table accessed", table | tA, false, false, false, 0x205},
		{"huge", huge, false, true, false, 0x40200},
		{"table with NX", table | tNX, false, false, true, 0x205},
		{"table without write", table &^ tW, false, false, true, 0x205},
		{"table with PCD", table | amd64.PTEPCD, false, false, true, 0x205},
		{"table with high bit", table | 1<<52, false, false, true, 0x205},
		{"not present PS", amd64.MakePTE(0x200000, tPS), false, false, false, 0x200},
		{"not present junk", tNX, false, false, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := PmdNone(c.p); got != c.none {
				t.Errorf("PmdNone = %v", got)
			}
			if got := PmdHuge(c.p); got != c.huge {
				t.Errorf("PmdHuge = %v", got)
			}
			if got := PmdBad(c.p); got != c.bad {
				t.Errorf("PmdBad = %v", got)
			}
			if got := PmdPFN(c.p); got != c.pfn {
				t.Errorf("PmdPFN = %#x, want %#x", got, c.pfn)
			}
		})
	}
}
