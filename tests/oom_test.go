//go:build linux

package tests

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

// TestShellOOM is the recipe: on a 128 MiB machine, map 4 GiB,
// collapse 2 MiB after 2 MiB until no 2 MiB block is left, then fault
// 4 KiB pages until memory runs out. The kernel must say ENOMEM (not
// EFAULT), keep answering — its own heap must not be starved — and give
// every frame back when the address space is destroyed.
func TestShellOOM(t *testing.T) {
	v := bootMachine(t, "microvm", "", 2, 128)
	v.waitPrompt(defaultTimeout)
	used0, kinds0 := v.memFrames()
	user0 := v.userTables()
	v.command("mm new", cmdTimeout)
	v.command("mm map 1 0x8000000000 1048576 rw", cmdTimeout)
	const base = 0x8000000000
	huge := 0
	addr := uint64(base)
	for ; huge < 200; addr += 2 << 20 {
		v.command(fmt.Sprintf("fault 1 %#x w", addr), cmdTimeout)
		out := v.command(fmt.Sprintf("collapse 1 %#x", addr), cmdTimeout)
		if anyLine(out, regexp.MustCompile(`^collapse: SCAN_ALLOC_HUGE_PAGE_FAIL: no free 2 MiB block \(order 9\) among \d+ free frames`)) {
			break
		}
		if !anyLine(out, regexp.MustCompile(`^collapse: mm 1 0x[0-9a-f]+: MadviseCollapse \(madvise_collapse\) → CollapseAnon \(collapse_huge_page\)$`)) ||
			!anyLine(out, regexp.MustCompile(`^collapse: SCAN_SUCCEED: 512 PTEs \(\d+ none\) copied into the huge page`)) {
			v.fatalf("collapse printed %q", out)
		}
		huge++
	}
	if huge < 20 {
		v.errorf("only %d 2 MiB pages before the allocator ran out on 128 MiB", huge)
	}
	addr += 2 << 20
	out := v.command(fmt.Sprintf("fault 1 %#x w 1000000", addr), 5*time.Minute)
	if !anyLine(out, regexp.MustCompile(`^faulted \d+ of 1000000 pages; at 0x[0-9a-f]+: mm: out of memory \(ENOMEM\)`)) {
		v.errorf("faulting until memory ran out printed %q, want ENOMEM", out)
	}
	// The kernel still answers, and its heap can still grow.
	if out := v.command("threads", cmdTimeout); len(out) < 2 {
		v.errorf("threads printed %q", out)
	}
	if out := v.command("test boot", 5*time.Minute); !anyLine(out, regexp.MustCompile(`passed, 0 failed`)) {
		v.errorf("the boot suite at the edge of memory printed %q", out)
	}
	v.command("mm destroy 1", cmdTimeout)
	used1, kinds1 := v.memFrames()
	for _, k := range []string{"anon", "pagecache"} {
		if kinds1[k] != kinds0[k] {
			v.errorf("%s frames: %d before, %d after mm destroy", k, kinds0[k], kinds1[k])
		}
	}
	// Page tables: the user's all go; the kernel's heap window may have
	// grown a table or two with the Go heap (the boot suite above).
	if user1 := v.userTables(); user1 != user0 {
		v.errorf("user page tables: %d before, %d after mm destroy", user0, user1)
	}
	// The Go heap may keep some of what it grew (the boot suite ran at
	// the edge of memory); the user's 100+ MiB must be back.
	if used1 > used0+1024 {
		v.errorf("used frames: %d before, %d after mm destroy", used0, used1)
	}
	v.checkNoCrash()
}
