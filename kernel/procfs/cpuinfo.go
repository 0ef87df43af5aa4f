// cpuinfo.go: /proc/cpuinfo (arch/x86/kernel/cpu/proc.c), its fields
// read from CPUID, its flags named as Linux's cpufeatures.h names them.

// trapctx: process context only

package procfs

import (
	"fmt"
	"strings"
)

// CPUInfo is one block of /proc/cpuinfo.
type CPUInfo struct {
	Processor               int
	VendorID, ModelName     string
	Family, Model, Stepping int
	KHz                     uint64 // TSC frequency
	CacheKB                 int    // the last-level cache (0: the line is left out)
	PhysicalID, Siblings    int
	CoreID, Cores, APICID   int
	FPU                     bool
	CPUIDLevel              int
	Flags, Bugs, Power      []string
	CLFlush, CacheAlign     int
	PhysBits, VirtBits      int
}

// cpuinfo prints the blocks the way Linux 6.1 does on x86-64 (no
// microcode line: the revision is not read; no "TLB size" line).
func cpuinfo(cpus []CPUInfo) []byte {
	var b strings.Builder
	yes := func(v bool) string {
		if v {
			return "yes"
		}
		return "no"
	}
	for _, c := range cpus {
		fmt.Fprintf(&b, "processor\t: %d\n", c.Processor)
		fmt.Fprintf(&b, "vendor_id\t: %s\n", c.VendorID)
		fmt.Fprintf(&b, "cpu family\t: %d\n", c.Family)
		fmt.Fprintf(&b, "model\t\t: %d\n", c.Model)
		fmt.Fprintf(&b, "model name\t: %s\n", c.ModelName)
		fmt.Fprintf(&b, "stepping\t: %d\n", c.Stepping)
		fmt.Fprintf(&b, "cpu MHz\t\t: %d.%03d\n", c.KHz/1000, c.KHz%1000)
		if c.CacheKB > 0 {
			fmt.Fprintf(&b, "cache size\t: %d KB\n", c.CacheKB)
		}
		fmt.Fprintf(&b, "physical id\t: %d\n", c.PhysicalID)
		fmt.Fprintf(&b, "siblings\t: %d\n", c.Siblings)
		fmt.Fprintf(&b, "core id\t\t: %d\n", c.CoreID)
		fmt.Fprintf(&b, "cpu cores\t: %d\n", c.Cores)
		fmt.Fprintf(&b, "apicid\t\t: %d\n", c.APICID)
		fmt.Fprintf(&b, "initial apicid\t: %d\n", c.APICID)
		fmt.Fprintf(&b, "fpu\t\t: %s\n", yes(c.FPU))
		fmt.Fprintf(&b, "fpu_exception\t: %s\n", yes(c.FPU))
		fmt.Fprintf(&b, "cpuid level\t: %d\n", c.CPUIDLevel)
		b.WriteString("wp\t\t: yes\n")
		b.WriteString("flags\t\t:")
		for _, f := range c.Flags {
			b.WriteString(" " + f)
		}
		b.WriteString("\nbugs\t\t:")
		for _, f := range c.Bugs {
			b.WriteString(" " + f)
		}
		// bogomips: loops_per_jiffy of the TSC delay loop, 2 * kHz / 1000.
		fmt.Fprintf(&b, "\nbogomips\t: %d.%02d\n", c.KHz/500, c.KHz/5%100)
		fmt.Fprintf(&b, "clflush size\t: %d\n", c.CLFlush)
		fmt.Fprintf(&b, "cache_alignment\t: %d\n", c.CacheAlign)
		fmt.Fprintf(&b, "address sizes\t: %d bits physical, %d bits virtual\n", c.PhysBits, c.VirtBits)
		b.WriteString("power management:")
		for _, f := range c.Power {
			b.WriteString(" " + f)
		}
		b.WriteString("\n\n")
	}
	return []byte(b.String())
}

// CPUIDFunc executes CPUID (amd64.Cpuid; tests give canned answers).
type CPUIDFunc func(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// identify fills the CPU-wide fields of a CPUInfo from CPUID, like
// Linux's identify_cpu: vendor, family/model/stepping (with the extended
// fields), the brand string, the cache size, clflush and address sizes,
// the flags and the power-management bits.
func identify(cpuid CPUIDFunc) CPUInfo {
	var c CPUInfo
	max0, b0, c0, d0 := cpuid(0, 0)
	c.CPUIDLevel = int(max0)
	c.VendorID = regs(b0, d0, c0)
	var eax1, ebx1, ecx1, edx1 uint32
	if max0 >= 1 {
		eax1, ebx1, ecx1, edx1 = cpuid(1, 0)
	}
	c.Family = int(eax1>>8) & 0xf
	c.Model = int(eax1>>4) & 0xf
	c.Stepping = int(eax1) & 0xf
	if c.Family == 0xf {
		c.Family += int(eax1>>20) & 0xff
	}
	if c.Family >= 6 {
		c.Model += int(eax1>>16) & 0xf << 4
	}
	c.FPU = edx1&1 != 0
	c.CLFlush = int(ebx1>>8&0xff) * 8
	if c.CLFlush == 0 {
		c.CLFlush = 64
	}
	c.CacheAlign = c.CLFlush
	maxExt, _, _, _ := cpuid(0x80000000, 0)
	var ecx81, edx81, edx87 uint32
	if maxExt >= 0x80000001 {
		_, _, ecx81, edx81 = cpuid(0x80000001, 0)
	}
	if maxExt >= 0x80000004 {
		var s strings.Builder
		for l := uint32(0x80000002); l <= 0x80000004; l++ {
			a, b, cc, d := cpuid(l, 0)
			s.WriteString(regs(a, b, cc, d))
		}
		c.ModelName = strings.Trim(strings.TrimRight(s.String(), "\x00"), " ")
	}
	if c.ModelName == "" {
		c.ModelName = "unknown"
	}
	if maxExt >= 0x80000007 {
		_, _, _, edx87 = cpuid(0x80000007, 0)
	}
	c.PhysBits, c.VirtBits = 36, 48
	if maxExt >= 0x80000008 {
		a, _, _, _ := cpuid(0x80000008, 0)
		c.PhysBits, c.VirtBits = int(a&0xff), int(a>>8&0xff)
	}
	c.CacheKB = cacheKB(cpuid, c.VendorID, max0, maxExt)

	var ebx7, ecx7, edx7, eaxD1, eax6 uint32
	if max0 >= 7 {
		_, ebx7, ecx7, edx7 = cpuid(7, 0)
	}
	if max0 >= 0xd {
		eaxD1, _, _, _ = cpuid(0xd, 1)
	}
	if max0 >= 6 {
		eax6, _, _, _ = cpuid(6, 0)
	}
	// Linux's synthetic word 3: what it concludes about the CPU.
	var word3 uint32
	invariantTSC := edx87&(1<<8) != 0
	if invariantTSC {
		word3 |= 1<<8 | 1<<24 // constant_tsc, nonstop_tsc
	}
	intel6 := c.VendorID == "GenuineIntel" && c.Family == 6
	if intel6 || c.VendorID == "AuthenticAMD" && c.Family >= 0xf {
		word3 |= 1 << 16 // rep_good
	}
	word3 |= 1<<20 | 1<<25 // nopl (every x86-64 CPU), cpuid
	if max0 >= 0xb {
		if _, b, _, _ := cpuid(0xb, 0); b != 0 {
			word3 |= 1 << 22 // xtopology
		}
	}
	words := []struct {
		bits  uint32
		names *[32]string
	}{
		{edx1, &capWord0}, {edx81, &capWord1}, {word3, &capWord3}, {ecx1, &capWord4},
		{ecx81, &capWord6}, {ebx7, &capWord9}, {eaxD1, &capWord10}, {eax6, &capWord14},
		{ecx7, &capWord16}, {edx7, &capWord18},
	}
	for _, w := range words {
		for i := 0; i < 32; i++ {
			if w.bits&(1<<i) != 0 && w.names[i] != "" {
				c.Flags = append(c.Flags, w.names[i])
			}
		}
	}
	for i := 0; i < 32; i++ {
		if edx87&(1<<i) != 0 && i < len(powerFlags) && powerFlags[i] != "" {
			c.Power = append(c.Power, powerFlags[i])
		}
	}
	return c
}

// regs spells registers as the ASCII string CPUID returns in them.
func regs(r ...uint32) string {
	var b []byte
	for _, v := range r {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return string(b)
}

// cacheKB is Linux's x86_cache_size: on Intel the largest cache leaf 4
// describes (the L3 if there is one), on AMD the L2 of 0x80000006 (or the
// L3 of its EDX, as Linux's AMD path prefers when present).
func cacheKB(cpuid CPUIDFunc, vendor string, max0, maxExt uint32) int {
	if vendor == "GenuineIntel" && max0 >= 4 {
		best := 0
		for i := uint32(0); i < 16; i++ {
			a, b, c, _ := cpuid(4, i)
			if a&0x1f == 0 {
				break
			}
			ways, parts, line, sets := b>>22+1, b>>12&0x3ff+1, b&0xfff+1, c+1
			if size := int(ways * parts * line * sets / 1024); size > best {
				best = size
			}
		}
		if best > 0 {
			return best
		}
	}
	if maxExt >= 0x80000006 {
		_, _, c, _ := cpuid(0x80000006, 0)
		return int(c >> 16)
	}
	return 0
}

// Flag names by bit, per capability word (arch/x86/include/asm/
// cpufeatures.h, Linux 6.1); "" is a bit Linux does not show.
var (
	capWord0 = [32]string{"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "", "sep",
		"mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", "", "dts", "acpi", "mmx",
		"fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe"}
	capWord1 = [32]string{11: "syscall", 19: "mp", 20: "nx", 22: "mmxext", 25: "fxsr_opt", 26: "pdpe1gb",
		27: "rdtscp", 29: "lm", 30: "3dnowext", 31: "3dnow"}
	capWord3 = [32]string{8: "constant_tsc", 16: "rep_good", 20: "nopl", 22: "xtopology", 24: "nonstop_tsc", 25: "cpuid"}
	capWord4 = [32]string{"pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
		"ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", "", "pcid", "dca", "sse4_1", "sse4_2",
		"x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes", "xsave", "", "avx", "f16c", "rdrand", "hypervisor"}
	capWord6 = [32]string{"lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a", "misalignsse",
		"3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", "", "lwp", "fma4", "tce", "", "nodeid_msr",
		"", "tbm", "topoext", "perfctr_core", "perfctr_nb", "", "bpext", "ptsc", "perfctr_llc", "mwaitx"}
	capWord9 = [32]string{"fsgsbase", "tsc_adjust", "sgx", "bmi1", "hle", "avx2", "", "smep", "bmi2", "erms",
		"invpcid", "rtm", "cqm", "", "mpx", "rdt_a", "avx512f", "avx512dq", "rdseed", "adx", "smap",
		"avx512ifma", "", "clflushopt", "clwb", "intel_pt", "avx512pf", "avx512er", "avx512cd", "sha_ni",
		"avx512bw", "avx512vl"}
	capWord10 = [32]string{"xsaveopt", "xsavec", "xgetbv1", "xsaves"}
	capWord14 = [32]string{0: "dtherm", 1: "ida", 2: "arat", 4: "pln", 6: "pts", 7: "hwp", 8: "hwp_notify",
		9: "hwp_act_window", 10: "hwp_epp", 11: "hwp_pkg_req", 19: "hfi"}
	capWord16 = [32]string{1: "avx512vbmi", 2: "umip", 3: "pku", 4: "ospke", 5: "waitpkg", 6: "avx512_vbmi2",
		8: "gfni", 9: "vaes", 10: "vpclmulqdq", 11: "avx512_vnni", 12: "avx512_bitalg", 13: "tme",
		14: "avx512_vpopcntdq", 16: "la57", 22: "rdpid", 24: "bus_lock_detect", 25: "cldemote",
		27: "movdiri", 28: "movdir64b", 29: "enqcmd", 30: "sgx_lc"}
	capWord18 = [32]string{2: "avx512_4vnniw", 3: "avx512_4fmaps", 4: "fsrm", 8: "avx512_vp2intersect",
		10: "md_clear", 14: "serialize", 16: "tsxldtrk", 18: "pconfig", 19: "arch_lbr", 20: "ibt",
		22: "amx_bf16", 23: "avx512_fp16", 24: "amx_tile", 25: "amx_int8", 28: "flush_l1d", 29: "arch_capabilities"}
	// powerFlags are x86_power_flags: CPUID 0x80000007 EDX.
	powerFlags = []string{"ts", "fid", "vid", "ttp", "tm", "stc", "100mhzsteps", "hwpstate", "", "cpb",
		"eff_freq_ro", "proc_feedback", "acc_power"}
)
