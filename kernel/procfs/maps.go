// maps.go: /proc/PID/maps and /proc/PID/smaps (fs/proc/task_mmu.c:
// show_map_vma, show_smap, __show_smap, show_smap_vma_flags).

// trapctx: process context only

package procfs

import (
	"encoding/binary"
	"fmt"
	"strings"

	"retract/kernel/abi"
	"retract/mm"
	"retract/mm/phys"
)

// mapLine appends one maps line: "start-end perms offset major:minor
// inode", then, if the mapping has a name, spaces up to column 73 and the
// name (an anonymous line ends with the space after the inode, as
// Linux's does).
func mapLine(b *strings.Builder, v *mm.VMAInfo, n MapName) {
	start := b.Len()
	perm := func(bit mm.Prot, c byte) byte {
		if v.Prot&bit != 0 {
			return c
		}
		return '-'
	}
	share := byte('p')
	if v.Flags&mm.VMShared != 0 {
		share = 's'
	}
	var off uint64
	if v.File != nil {
		off = v.Pgoff * phys.PageSize
	}
	fmt.Fprintf(b, "%08x-%08x %c%c%c%c %08x %02x:%02x %d ", v.Start, v.End,
		perm(mm.ProtRead, 'r'), perm(mm.ProtWrite, 'w'), perm(mm.ProtExec, 'x'), share,
		off, abi.Major(n.Dev), abi.Minor(n.Dev), n.Ino)
	if n.Path != "" {
		// seq_setwidth(25 + sizeof(void *) * 6 - 1), then seq_pad.
		if pad := 73 - (b.Len() - start); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteString(n.Path)
	}
	b.WriteByte('\n')
}

// maps prints /proc/PID/maps.
func maps(vmas []mm.VMAInfo, names []MapName) []byte {
	var b strings.Builder
	for i := range vmas {
		mapLine(&b, &vmas[i], names[i])
	}
	return []byte(b.String())
}

// smaps prints /proc/PID/smaps: each maps line followed by the VMA's
// figures in Linux 6.1's order and widths, THPeligible and VmFlags.
func smaps(vmas []mm.VMAInfo, names []MapName) []byte {
	var b strings.Builder
	for i := range vmas {
		v, n := &vmas[i], names[i]
		mapLine(&b, v, n)
		kb := func(label string, bytes uint64) { fmt.Fprintf(&b, "%-16s%8d kB\n", label+":", bytes/1024) }
		kb("Size", uint64(v.End-v.Start))
		kb("KernelPageSize", phys.PageSize)
		kb("MMUPageSize", phys.PageSize)
		kb("Rss", v.Rss)
		kb("Pss", v.Pss)
		kb("Pss_Dirty", v.PssDirty)
		kb("Shared_Clean", v.SharedClean)
		kb("Shared_Dirty", v.SharedDirty)
		kb("Private_Clean", v.PrivateClean)
		kb("Private_Dirty", v.PrivateDirty)
		kb("Referenced", v.Referenced)
		kb("Anonymous", v.Anonymous)
		kb("LazyFree", 0)
		kb("AnonHugePages", v.AnonHuge)
		kb("ShmemPmdMapped", v.FilePmd)
		kb("FilePmdMapped", 0)
		kb("Shared_Hugetlb", 0)
		fmt.Fprintf(&b, "Private_Hugetlb: %7d kB\n", 0)
		kb("Swap", 0)
		kb("SwapPss", 0)
		locked := uint64(0)
		if v.Flags&mm.VMLocked != 0 {
			locked = v.Pss // Linux's pss_locked
		}
		kb("Locked", locked)
		eligible := 0
		if mm.THPEligible(&v.VMA) {
			eligible = 1
		}
		fmt.Fprintf(&b, "THPeligible:    %d\n", eligible)
		b.WriteString("VmFlags: ")
		for _, f := range vmFlags(v, n) {
			b.WriteString(f + " ")
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// vmFlags names a VMA's flags as show_smap_vma_flags does, in Linux's
// bit order. The "may" flags (mr mw me) are set for every VMA: mmap
// here refuses no later mprotect; ms follows sh (MAP_SHARED); gd marks
// the stack, lo a locked mapping (mlock; MLOCK_ONFAULT has no letter in
// 6.1), ac a private writable mapping (VM_ACCOUNT).
func vmFlags(v *mm.VMAInfo, n MapName) []string {
	var f []string
	add := func(on bool, name string) {
		if on {
			f = append(f, name)
		}
	}
	shared := v.Flags&mm.VMShared != 0
	add(v.Prot&mm.ProtRead != 0, "rd")
	add(v.Prot&mm.ProtWrite != 0, "wr")
	add(v.Prot&mm.ProtExec != 0, "ex")
	add(shared, "sh")
	f = append(f, "mr", "mw", "me")
	add(shared, "ms")
	add(n.Path == "[stack]", "gd")
	add(v.Flags&mm.VMLocked != 0, "lo")
	add(!shared && v.Prot&mm.ProtWrite != 0, "ac")
	add(v.Flags&mm.VMHugepage != 0, "hg")
	add(v.Flags&mm.VMNoHugepage != 0, "nh")
	return f
}

// memFigures is what status and statm say about an address space, in
// bytes.
type memFigures struct {
	Size, Rss, RssAnon, RssShmem uint64
	Data, Stack, Exe, Lib, PTE   uint64
	Locked                       uint64 // VmLck: the size of the locked VMAs (locked_vm)
	Shared, Text                 uint64
}

// figures adds up a process's VMAs.
func figures(vmas []mm.VMAInfo, names []MapName, exe string, ptes uint64) memFigures {
	var f memFigures
	for i := range vmas {
		v, n := &vmas[i], names[i]
		size := uint64(v.End - v.Start)
		f.Size += size
		if v.Flags&mm.VMLocked != 0 {
			f.Locked += size
		}
		f.Rss += v.Rss
		f.RssAnon += v.Anonymous
		f.RssShmem += v.Rss - v.Anonymous
		shared := v.Flags&mm.VMShared != 0
		switch {
		case n.Path == "[stack]":
			f.Stack += size
		case v.Prot&mm.ProtExec != 0 && v.File != nil && n.Path == exe:
			f.Exe += size
		case v.Prot&mm.ProtExec != 0 && v.File != nil:
			f.Lib += size
		case !shared && v.Prot&mm.ProtWrite != 0:
			f.Data += size
		}
	}
	f.Shared = f.RssShmem
	f.Text = f.Exe
	f.PTE = ptes
	return f
}

// pagemapMaxRead is the most entries one read of pagemap produces (a
// larger read returns a short count, which readers handle: Linux's
// pagemap_read also works in batches).
const pagemapMaxRead = 1 << 15

// pagemapRead is a read of /proc/PID/pagemap at off: 8 bytes per page,
// the page at off/8*4096 first (mm.Pagemap). As in Linux, an offset or a
// count that is not a multiple of 8 is EINVAL, a read past the top of
// user space returns 0 (the end), and an exited process reads as the end.
func pagemapRead(m *mm.MM, p []byte, off int64) (int, error) {
	if off%8 != 0 || len(p)%8 != 0 {
		return 0, abi.EINVAL
	}
	page := uint64(off) / 8
	top := uint64(mm.UserEnd) / phys.PageSize // TASK_SIZE
	if m == nil || off < 0 || page >= top {
		return 0, nil
	}
	n := min(uint64(len(p))/8, top-page, pagemapMaxRead)
	ents := make([]uint64, n)
	m.Pagemap(uintptr(page*phys.PageSize), ents)
	for i, e := range ents {
		binary.LittleEndian.PutUint64(p[8*i:], e)
	}
	return int(8 * n), nil
}
