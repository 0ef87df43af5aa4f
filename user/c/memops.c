/*
 * memops: the memory-management system calls and their errors, as Linux
 * answers them.
 *
 * mmap: anonymous private (zero-filled) and shared (seen across fork),
 * file shared (msync, pread sees it) and private (the file does not),
 * MAP_FIXED replaces, MAP_FIXED_NOREPLACE gives EEXIST, MAP_POPULATE
 * (resident before the first touch), MAP_NORESERVE, a free hint address
 * is honoured; munmap of a middle page (the neighbours stay, the hole
 * faults); mprotect (a write to PROT_READ and a read of PROT_NONE fault
 * with SEGV_ACCERR at the address, RW again works); madvise DONTNEED
 * (anonymous reads back zero), FREE, HUGEPAGE/NOHUGEPAGE, COLLAPSE (0,
 * EAGAIN or EINVAL, as Linux returns; the data survives), POPULATE_READ/
 * WRITE; mremap (grow in place, MREMAP_MAYMOVE, MREMAP_FIXED, shrink);
 * brk (grow, touch, shrink; sbrk(0) agrees); mincore; msync;
 * membarrier (QUERY, EPERM before registering, private expedited);
 * /proc/self/pagemap (present bit and frame of touched pages, none for
 * untouched ones, the zero page shared, the file bit of a shared mapping,
 * EINVAL for a misaligned read); mlock, mlock2(MLOCK_ONFAULT), munlock
 * (the VMA splits), mlockall/munlockall (MCL_FUTURE locks later
 * mappings), as /proc/self/smaps ("lo", Rss, Locked) and status (VmLck)
 * show them, not inherited by a fork, and their errors.
 * Bad arguments (raw system calls where a libc would round or check):
 * EINVAL for length 0, misaligned addresses and offsets,
 * MAP_SHARED|MAP_PRIVATE both missing, bad advice, bad msync flags; EBADF,
 * EACCES; ENOMEM for mprotect/madvise/mincore of unmapped memory; and
 * munmap of an unmapped range succeeds (0), as on Linux.
 */
#include "check.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#define MADV_POPULATE_READ_ 22
#define MADV_POPULATE_WRITE_ 23
#define MADV_COLLAPSE_ 25
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)

#define PG 4096L
#define HUGE (2L << 20)

static volatile long sink;

/* Fault probing: touch an address, report the signal and its si_code. */
static sigjmp_buf jb;
static volatile int fault_code;
static void *volatile fault_addr;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(jb, 1);
}

/* touch returns 0 if the access worked, else the si_code of the SIGSEGV. */
static int touch(volatile char *p, int write)
{
	fault_code = 0;
	fault_addr = NULL;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 1;
		else
			sink = *p;
		return 0;
	}
	return fault_code ? fault_code : -1;
}

static char *anon(long len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static int resident(void *p, long len)
{
	unsigned char v[512];
	if (len / PG > 512 || mincore(p, len, v) != 0)
		return -1;
	int n = 0;
	for (long i = 0; i < len / PG; i++)
		n += v[i] & 1;
	return n;
}

static char tmpfile_[] = "/tmp/memops-XXXXXX";
static int filefd = -1;

static void test_mmap(void)
{
	char *a = anon(4 * PG, PROT_READ | PROT_WRITE);
	int zero = a != MAP_FAILED;
	for (long i = 0; zero && i < 4 * PG; i += 512)
		zero = a[i] == 0;
	check(zero, "mmap.anon.zero", "not zero-filled");
	a[0] = 7;

	volatile int *sh = (int *)mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*sh = 1;
	pid_t pid = t_fork();
	if (pid == 0) {
		*sh = 2;
		_exit(0);
	}
	waitchild(pid);
	check(*sh == 2, "mmap.anon.shared.fork", "reads %d, want 2", *sh);

	filefd = mkstemp(tmpfile_);
	int ro = open(tmpfile_, O_RDONLY);
	unlink(tmpfile_);
	if (filefd < 0 || ftruncate(filefd, 4 * PG) != 0 || pwrite(filefd, "file", 4, 0) != 4) {
		fail("mmap.file", "setup: %s", errname(errno));
		return;
	}
	char *fs = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, filefd, 0);
	char *fp = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, filefd, 0);
	char buf[8] = {0};
	check(fs != MAP_FAILED && memcmp(fs, "file", 4) == 0, "mmap.file.shared.reads", "%.4s", fs);
	memcpy(fs + PG, "SHRD", 4);
	check(msync(fs, 4 * PG, MS_SYNC) == 0, "msync", "%s", errname(errno));
	check(pread(filefd, buf, 4, PG) == 4 && memcmp(buf, "SHRD", 4) == 0, "mmap.file.shared.write", "file reads %.4s", buf);
	check(fp != MAP_FAILED && memcmp(fp + PG, "SHRD", 4) == 0, "mmap.file.private.sees.file", "%.4s", fp + PG);
	memcpy(fp, "PRIV", 4);
	check(pread(filefd, buf, 4, 0) == 4 && memcmp(buf, "file", 4) == 0 && memcmp(fs, "file", 4) == 0,
	      "mmap.file.private.cow", "file reads %.4s", buf);
	check_err(msync(fs + 1, PG, MS_SYNC), EINVAL, "msync.misaligned.einval");
	check_err(msync(fs, PG, MS_SYNC | MS_ASYNC), EINVAL, "msync.flags.einval");
	munmap(fs, 4 * PG);
	munmap(fp, 4 * PG);

	/* MAP_FIXED replaces the middle page; MAP_FIXED_NOREPLACE refuses. */
	char *f = anon(3 * PG, PROT_READ | PROT_WRITE);
	memset(f, 'x', 3 * PG);
	char *mid = mmap(f + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	check(mid == f + PG && mid[0] == 0 && f[0] == 'x' && f[2 * PG] == 'x', "mmap.fixed.replaces", "got %p (want %p), %d",
	      (void *)mid, (void *)(f + PG), mid == MAP_FAILED ? -1 : mid[0]);
	char *nr = mmap(f + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check(nr == MAP_FAILED && errno == EEXIST, "mmap.fixed_noreplace.eexist", "got %p, %s", (void *)nr, errname(errno));
	munmap(f, 3 * PG);
	nr = mmap(f, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check(nr == f, "mmap.fixed_noreplace.free", "got %p, want %p", (void *)nr, (void *)f);
	munmap(nr, PG);

	/* A free hint is taken as is. */
	char *hint = (char *)0x7e0000000000;
	char *h = mmap(hint, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(h == hint, "mmap.hint", "got %p for hint %p", (void *)h, (void *)hint);
	munmap(h, PG);

	char *pop = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int r = resident(pop, 8 * PG);
	check(pop != MAP_FAILED && r == 8, "mmap.populate", "%d of 8 pages resident", r);
	munmap(pop, 8 * PG);
	char *nores = mmap(NULL, 1L << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	check(nores != MAP_FAILED && (nores[123 * PG] = 5) == 5, "mmap.noreserve", "%s", errname(errno));
	r = resident(nores, 512 * PG);
	check(r == 1, "mincore.lazy", "%d of the first 512 pages resident, want only the touched one", r);
	munmap(nores, 1L << 30);

	/* Bad arguments. */
	check_err((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL, "mmap.len0.einval");
	check_err((long)mmap((void *)0x10001000 + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL,
		  "mmap.fixed.misaligned.einval");
	check_err((long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE, filefd, 100), EINVAL, "mmap.offset.misaligned.einval");
	check_err((long)mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL, "mmap.no.type.einval");
	check_err((long)mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0), EBADF, "mmap.ebadf");
	check_err((long)mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES, "mmap.shared.rdonly.eacces");
	check(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) != MAP_FAILED, "mmap.private.rdonly", "%s",
	      errname(errno));
	close(ro);
	munmap(a, 4 * PG);
}

static void test_munmap_mprotect(void)
{
	char *m = anon(3 * PG, PROT_READ | PROT_WRITE);
	memset(m, 'm', 3 * PG);
	check(munmap(m + PG, PG) == 0, "munmap.partial", "%s", errname(errno));
	check(touch(m, 0) == 0 && touch(m + 2 * PG, 1) == 0, "munmap.partial.neighbours", "a neighbour faults");
	int c = touch(m + PG + 8, 0);
	check(c == SEGV_MAPERR && fault_addr == m + PG + 8, "munmap.partial.hole.maperr", "si_code %d at %p", c, fault_addr);
	check(munmap(m + PG, PG) == 0, "munmap.unmapped.ok", "%s (Linux returns 0)", errname(errno));
	check_err(munmap(m + 1, PG), EINVAL, "munmap.misaligned.einval");
	check_err(munmap(m, 0), EINVAL, "munmap.len0.einval");

	check(mprotect(m, PG, PROT_READ) == 0, "mprotect.ro", "%s", errname(errno));
	c = touch(m + 16, 1);
	check(c == SEGV_ACCERR && fault_addr == m + 16, "mprotect.ro.write.accerr", "si_code %d at %p (want %d at %p)", c,
	      fault_addr, SEGV_ACCERR, (void *)(m + 16));
	check(touch(m + 16, 0) == 0 && m[16] == 'm', "mprotect.ro.read", "read faults");
	mprotect(m, PG, PROT_NONE);
	c = touch(m + 32, 0);
	check(c == SEGV_ACCERR, "mprotect.none.read.accerr", "si_code %d", c);
	check(mprotect(m, PG, PROT_READ | PROT_WRITE) == 0 && touch(m + 16, 1) == 0 && m[17] == 'm', "mprotect.rw.again",
	      "%s", errname(errno));
	check_err(mprotect(m + PG, PG, PROT_READ), ENOMEM, "mprotect.unmapped.enomem");
	/* raw: musl's mprotect() rounds the address down itself */
	check_err(syscall(SYS_mprotect, m + 1, PG, PROT_READ), EINVAL, "mprotect.misaligned.einval");
	check_err(mprotect(m, PG, 0x100), EINVAL, "mprotect.badprot.einval");
	munmap(m, 3 * PG);
}

static void test_madvise(void)
{
	char *m = anon(4 * PG, PROT_READ | PROT_WRITE);
	memset(m, 'd', 4 * PG);
	check(madvise(m, 2 * PG, MADV_DONTNEED) == 0 && m[0] == 0 && m[PG + 5] == 0 && m[2 * PG] == 'd',
	      "madvise.dontneed.zero", "reads %d %d", m[0], m[2 * PG]);
	check(madvise(m + 2 * PG, 2 * PG, MADV_FREE) == 0, "madvise.free", "%s", errname(errno));
	check(m[2 * PG] == 'd' || m[2 * PG] == 0, "madvise.free.reads", "reads %d: neither the data nor zero", m[2 * PG]);
	m[3 * PG] = 'w';
	check(m[3 * PG] == 'w', "madvise.free.write", "a write after MADV_FREE was lost");
	check_err(madvise(m + 1, PG, MADV_DONTNEED), EINVAL, "madvise.misaligned.einval");
	check_err(madvise(m, PG, 9999), EINVAL, "madvise.badadvice.einval");
	check(madvise(m, 0, MADV_DONTNEED) == 0, "madvise.len0", "%s (Linux: 0)", errname(errno));
	munmap(m, 4 * PG);
	check_err(madvise(m, PG, MADV_DONTNEED), ENOMEM, "madvise.unmapped.enomem");
	unsigned char v;
	check_err(mincore(m, PG, &v), ENOMEM, "mincore.unmapped.enomem");
	check_err(mincore(m + 1, PG, &v), EINVAL, "mincore.misaligned.einval");

	/* populate */
	m = anon(8 * PG, PROT_READ | PROT_WRITE);
	int r0 = resident(m, 8 * PG);
	int e1 = madvise(m, 4 * PG, MADV_POPULATE_READ_) == 0 ? 0 : errno;
	int e2 = madvise(m + 4 * PG, 4 * PG, MADV_POPULATE_WRITE_) == 0 ? 0 : errno;
	int r1 = resident(m, 8 * PG);
	check(e1 == 0 && e2 == 0 && r0 == 0 && r1 == 8, "madvise.populate", "READ %s, WRITE %s, resident %d before, %d after",
	      errname(e1), errname(e2), r0, r1);
	munmap(m, 8 * PG);
	m = anon(PG, PROT_WRITE);
	check_err(madvise(m, PG, MADV_POPULATE_READ_), EINVAL, "madvise.populate_read.write_only.einval");
	check(madvise(m, PG, MADV_POPULATE_WRITE_) == 0, "madvise.populate_write.write_only", "%s", errname(errno));
	munmap(m, PG);

	/* huge pages: 2 MiB-aligned 4 MiB */
	char *raw = anon(3 * HUGE, PROT_READ | PROT_WRITE);
	char *h = (char *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	check(madvise(h, 2 * HUGE, MADV_NOHUGEPAGE) == 0, "madvise.nohugepage", "%s", errname(errno));
	check(madvise(h, 2 * HUGE, MADV_HUGEPAGE) == 0, "madvise.hugepage", "%s", errname(errno));
	madvise(h, 2 * HUGE, MADV_NOHUGEPAGE);
	for (long i = 0; i < 2 * HUGE; i += PG)
		h[i] = (char)(i >> 12);
	madvise(h, 2 * HUGE, MADV_HUGEPAGE);
	errno = 0;
	int r = madvise(h, HUGE, MADV_COLLAPSE_);
	int e = r ? errno : 0;
	int same = 1;
	for (long i = 0; i < 2 * HUGE; i += PG)
		same &= h[i] == (char)(i >> 12);
	if (r == 0 || e == EAGAIN || e == EINVAL)
		ok("madvise.collapse");
	else
		fail("madvise.collapse", "%s, want 0, EAGAIN or EINVAL", errname(e));
	note("madvise(MADV_COLLAPSE) of 2 MiB of anonymous 4 KiB pages: %s", r == 0 ? "0 (collapsed)" : errname(e));
	check(same, "madvise.collapse.data", "the data changed");
	check_err(madvise(h + PG, HUGE, MADV_COLLAPSE_ + 1000), EINVAL, "madvise.collapse.badadvice");
	munmap(raw, 3 * HUGE);
}

static void test_mremap(void)
{
	/* grow in place: the pages after it are free */
	char *m = anon(4 * PG, PROT_READ | PROT_WRITE);
	munmap(m + PG, 3 * PG);
	m[0] = 'g';
	char *g = mremap(m, PG, 3 * PG, 0);
	check(g == m && g[0] == 'g' && touch(g + 2 * PG, 1) == 0, "mremap.grow.inplace", "got %p for %p", (void *)g, (void *)m);
	/* blocked: without MAYMOVE ENOMEM, with it a move */
	char *block = mmap(g + 3 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	check_err((long)mremap(g, 3 * PG, 8 * PG, 0), ENOMEM, "mremap.grow.blocked.enomem");
	char *mv = mremap(g, 3 * PG, 8 * PG, MREMAP_MAYMOVE);
	check(mv != MAP_FAILED && mv != g && mv[0] == 'g' && touch(mv + 7 * PG, 1) == 0, "mremap.maymove", "got %p",
	      (void *)mv);
	int c = touch(g, 0);
	check(c == SEGV_MAPERR, "mremap.maymove.old.unmapped", "old address: si_code %d", c);
	char *sh = mremap(mv, 8 * PG, 2 * PG, 0);
	check(sh == mv && sh[0] == 'g' && touch(mv + 3 * PG, 0) == SEGV_MAPERR, "mremap.shrink", "got %p", (void *)sh);
	char *target = anon(2 * PG, PROT_READ);
	char *fx = mremap(sh, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	check(fx == target && fx[0] == 'g', "mremap.fixed", "got %p for %p", (void *)fx, (void *)target);
	check_err((long)mremap(fx + 1, PG, 2 * PG, MREMAP_MAYMOVE), EINVAL, "mremap.misaligned.einval");
	check_err((long)mremap(fx, PG, 2 * PG, 0x80), EINVAL, "mremap.badflags.einval");
	munmap(fx, 2 * PG);
	munmap(block, PG);
}

static void test_brk(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	check(cur != 0 && (uintptr_t)sbrk(0) == cur, "brk.query", "brk(0) %#lx, sbrk(0) %p", (unsigned long)cur, sbrk(0));
	uintptr_t want = cur + 64 * 1024;
	uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
	check(got == want && touch((char *)want - 1, 1) == 0 && touch((char *)cur, 1) == 0, "brk.grow", "brk(%#lx) = %#lx",
	      (unsigned long)want, (unsigned long)got);
	got = (uintptr_t)syscall(SYS_brk, cur);
	uintptr_t top = (cur + PG - 1) & ~(uintptr_t)(PG - 1);
	check(got == cur && touch((char *)top + PG, 0) == SEGV_MAPERR, "brk.shrink", "brk(%#lx) = %#lx",
	      (unsigned long)cur, (unsigned long)got);
	got = (uintptr_t)syscall(SYS_brk, 4096);
	check(got == cur, "brk.below.start", "brk(4096) = %#lx, want the break unchanged %#lx", (unsigned long)got,
	      (unsigned long)cur);
}

static void test_membarrier(void)
{
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q == -1 && errno == ENOSYS) {
		skip("membarrier", "ENOSYS (CONFIG_MEMBARRIER off)");
		return;
	}
	check(q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED), "membarrier.query", "%ld", q);
	check_err(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM, "membarrier.unregistered.eperm");
	check(syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0, "membarrier.register", "%s",
	      errname(errno));
	check(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0, "membarrier.private_expedited", "%s",
	      errname(errno));
	check_err(syscall(SYS_membarrier, 1 << 30, 0, 0), EINVAL, "membarrier.badcmd.einval");
}

/* pagemap reads the /proc/self/pagemap entries of n pages from p. */
static int pagemap(int fd, const void *p, uint64_t *e, int n)
{
	off_t off = (off_t)((uintptr_t)p / PG * 8);
	return pread(fd, e, (size_t)n * 8, off) == (ssize_t)n * 8;
}

#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PFN ((1ULL << 55) - 1)

static void test_pagemap(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (!check(fd >= 0, "pagemap.open", "%s", errname(errno)))
		return;
	char *m = anon(4 * PG, PROT_READ | PROT_WRITE);
	m[0] = 1, m[2 * PG] = 2;
	volatile char r = m[3 * PG]; /* a read: the zero page */
	(void)r;
	uint64_t e[4] = {0};
	if (check(pagemap(fd, m, e, 4), "pagemap.read", "%s", errname(errno))) {
		check((e[0] & PM_PRESENT) && (e[2] & PM_PRESENT) && !(e[1] & PM_PRESENT), "pagemap.present",
		      "entries %#llx %#llx %#llx", (unsigned long long)e[0], (unsigned long long)e[1],
		      (unsigned long long)e[2]);
		check((e[0] & PM_PFN) != 0 && (e[0] & PM_PFN) != (e[2] & PM_PFN), "pagemap.pfn", "frames %#llx and %#llx",
		      (unsigned long long)(e[0] & PM_PFN), (unsigned long long)(e[2] & PM_PFN));
		check((e[0] & PM_EXCLUSIVE) && !(e[0] & PM_FILE), "pagemap.anon_exclusive", "entry %#llx",
		      (unsigned long long)e[0]);
		check((e[3] & PM_PRESENT) && !(e[3] & PM_EXCLUSIVE), "pagemap.zero_page", "entry %#llx", (unsigned long long)e[3]);
	}
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s != MAP_FAILED) {
		s[0] = 1;
		check(pagemap(fd, s, e, 1) && (e[0] & PM_PRESENT) && (e[0] & PM_FILE), "pagemap.shared_is_file", "entry %#llx",
		      (unsigned long long)e[0]);
		munmap(s, PG);
	}
	munmap(m, 4 * PG);
	check(pagemap(fd, m, e, 1) && e[0] == 0, "pagemap.unmapped", "entry %#llx", (unsigned long long)e[0]);
	check_err(pread(fd, e, 8, 4), EINVAL, "pagemap.misaligned.einval");
	check_err(pread(fd, e, 5, 0), EINVAL, "pagemap.short.einval");
	close(fd);
}

/*
 * smaps_of: the smaps value of field (e.g. "Rss:") of the VMA holding addr,
 * in kB, or -1; with field "VmFlags:" it returns whether flag is listed.
 */
static long smaps_of(const void *addr, const char *field, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	int in = 0;
	long v = -1;
	uintptr_t a = (uintptr_t)addr;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (!in || strncmp(line, field, strlen(field)) != 0)
			continue;
		if (flag) {
			char want[8];
			snprintf(want, sizeof want, " %s ", flag);
			v = strstr(line + strlen(field), want) != NULL;
		} else {
			v = strtol(line + strlen(field), NULL, 10);
		}
		break;
	}
	fclose(f);
	return v;
}

/* vmas_in counts the VMAs of /proc/self/maps that overlap [p, p+n). */
static int vmas_in(const void *p, size_t n)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	char line[512];
	int c = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < (uintptr_t)p + n && hi > (uintptr_t)p)
			c++;
	}
	fclose(f);
	return c;
}

/* status_kb is the value of a /proc/self/status line such as "VmLck:". */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return v;
}

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

/*
 * Linux's default (heuristic) overcommit: a private writable mapping
 * larger than RAM is ENOMEM, unless MAP_NORESERVE; a read-only one is
 * not charged. Skipped where vm.overcommit_memory is not 0.
 */
static void test_overcommit(void)
{
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = 0;
	if (f) {
		if (fscanf(f, "%d", &mode) != 1)
			mode = 0;
		fclose(f);
	}
	if (mode != 0) {
		skip("mmap.overcommit", "vm.overcommit_memory is %d", mode);
		return;
	}
	size_t big = (size_t)sysconf(_SC_PHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE) * 2;
	void *p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(p == MAP_FAILED && errno == ENOMEM, "mmap.overcommit.enomem", "2 x RAM private writable: %s",
	      p == MAP_FAILED ? errname(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, big);
	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	check(p != MAP_FAILED, "mmap.overcommit.noreserve", "%s", errname(errno));
	if (p != MAP_FAILED)
		munmap(p, big);
	p = mmap(NULL, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(p != MAP_FAILED, "mmap.overcommit.readonly", "%s", errname(errno));
	if (p != MAP_FAILED)
		munmap(p, big);
}

static void test_mlock(void)
{
	char *m = anon(3 * PG, PROT_READ | PROT_WRITE);
	long lck0 = status_kb("VmLck:");
	check(mlock(m, 3 * PG) == 0, "mlock", "%s", errname(errno));
	long rss = smaps_of(m, "Rss:", NULL), lo = smaps_of(m, "VmFlags:", "lo"), locked = smaps_of(m, "Locked:", NULL);
	check(lo == 1 && rss == 12 && locked == 12, "mlock.smaps", "lo %ld, Rss %ld kB, Locked %ld kB; want 1, 12, 12", lo, rss,
	      locked);
	long lck1 = status_kb("VmLck:");
	check(lck1 == lck0 + 12, "mlock.vmlck", "VmLck %ld kB, was %ld", lck1, lck0);
	check(munlock(m + PG, PG) == 0 && vmas_in(m, 3 * PG) == 3, "munlock.splits", "%d VMAs, want 3",
	      vmas_in(m, 3 * PG));
	check(smaps_of(m + PG, "VmFlags:", "lo") == 0 && smaps_of(m + 2 * PG, "VmFlags:", "lo") == 1, "munlock.middle",
	      "the middle page is %s locked", smaps_of(m + PG, "VmFlags:", "lo") ? "still" : "not");
	check(munlock(m, 3 * PG) == 0 && vmas_in(m, 3 * PG) == 1, "munlock.merges", "%d VMAs, want 1", vmas_in(m, 3 * PG));
	munmap(m, 3 * PG);

	m = anon(4 * PG, PROT_READ | PROT_WRITE);
	check(syscall(SYS_mlock2, m, 4 * PG, MLOCK_ONFAULT) == 0, "mlock2.onfault", "%s", errname(errno));
	m[0] = 1;
	rss = smaps_of(m, "Rss:", NULL);
	check(smaps_of(m, "VmFlags:", "lo") == 1 && rss == 4, "mlock2.onfault.smaps", "Rss %ld kB, want 4 (one page)", rss);
	check_err(syscall(SYS_mlock2, m, PG, 2), EINVAL, "mlock2.badflag.einval");
	/* locks are not inherited */
	pid_t pid = fork();
	if (pid == 0)
		_exit(smaps_of(m, "VmFlags:", "lo") == 0 ? 0 : 1);
	int st = -1;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mlock.not_inherited", "status %#x", st);
	munmap(m, 4 * PG);
	check_err(mlock(m, PG), ENOMEM, "mlock.unmapped.enomem");
	check_err(munlock(m, PG), ENOMEM, "munlock.unmapped.enomem");

	check_err(mlockall(0), EINVAL, "mlockall.zero.einval");
	check_err(mlockall(MCL_ONFAULT), EINVAL, "mlockall.onfault_alone.einval");
	check(mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0, "mlockall", "%s", errname(errno));
	/* read-only: no merging with the C library's heap, which is locked
	 * on fault now too and has pages */
	m = anon(2 * PG, PROT_READ);
	check(smaps_of(m, "VmFlags:", "lo") == 1 && smaps_of(m, "Rss:", NULL) == 0, "mlockall.future", "lo %ld, Rss %ld",
	      smaps_of(m, "VmFlags:", "lo"), smaps_of(m, "Rss:", NULL));
	check(munlockall() == 0 && smaps_of(m, "VmFlags:", "lo") == 0, "munlockall", "%s", errname(errno));
	munmap(m, 2 * PG);
	m = anon(PG, PROT_READ | PROT_WRITE);
	check(smaps_of(m, "VmFlags:", "lo") == 0, "munlockall.future", "a new mapping is still locked");
	munmap(m, PG);
}

int main(void)
{
	t_init();
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	test_mmap();
	test_munmap_mprotect();
	test_madvise();
	test_mremap();
	test_brk();
	test_membarrier();
	test_pagemap();
	test_mlock();
	test_overcommit();
	return summary();
}
