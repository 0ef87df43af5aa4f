/*
 * badinst: a program misbehaving in every way the kernel must survive.
 *
 *   badinst [all]   fork a child per case, check how each one ended
 *   badinst CASE    do one case in this process (it usually dies)
 *
 * Cases that must kill the process (the kernel turns the CPU exception
 * into a signal): hlt, cli, wrmsr, in (port I/O) -> SIGSEGV (#GP in ring
 * 3); int3 -> SIGTRAP; ud2 -> SIGILL; jump0 (call through a NULL function
 * pointer) -> SIGSEGV; div0 (integer divide by zero) -> SIGFPE; kread,
 * kwrite (kernel text, 0xffffffff80200000) and kread-direct,
 * kwrite-direct (the direct map, 0xffff888000000000) -> SIGSEGV;
 * stackoverflow (unbounded recursion) -> SIGSEGV.
 * Cases that must not: badsyscall (syscall 9999 -> ENOSYS), efault (bad
 * pointers to read, write, open, stat, nanosleep, clock_gettime, made with
 * raw syscalls -> EFAULT: libc's vDSO clock_gettime would fault in user
 * space instead), segv-handler (a SA_SIGINFO SIGSEGV handler sees si_addr
 * and si_code: SEGV_MAPERR for an unmapped page, SEGV_ACCERR for a write
 * to a read-only page, and the process goes on).
 */
#include "check.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#define KTEXT ((uintptr_t)0xffffffff80200000ull)
#define KDIRECT ((uintptr_t)0xffff888000000000ull)

static volatile long sink;

static void do_hlt(void) { __asm__ volatile("hlt"); }
static void do_cli(void) { __asm__ volatile("cli"); }
static void do_wrmsr(void) { __asm__ volatile("wrmsr" ::"c"(0x10), "a"(0), "d"(0)); }
static void do_in(void)
{
	unsigned char v;
	__asm__ volatile("inb $0x80, %0" : "=a"(v));
	sink = v;
}
static void do_int3(void) { __asm__ volatile("int3"); }
static void do_ud2(void) { __asm__ volatile("ud2"); }
static void do_jump0(void)
{
	void (*volatile f)(void) = NULL;
	f();
}
static void do_div0(void)
{
	long a = 1, b = 0;
	/* idiv in asm: the compiler may not fold or drop it. */
	__asm__ volatile("cqto; idivq %1" : "+a"(a) : "r"(b) : "rdx", "cc");
	sink = a;
}
static void do_kread(void) { sink = *(volatile long *)KTEXT; }
static void do_kread_direct(void) { sink = *(volatile long *)KDIRECT; }
static void do_kwrite(void) { *(volatile long *)KTEXT = 1; }
static void do_kwrite_direct(void) { *(volatile long *)KDIRECT = 1; }
static volatile long depth_limit = 1L << 40; /* never reached: the stack ends first */
static long recurse(long n)
{
	volatile char pad[4096];
	pad[0] = (char)n;
	pad[sizeof pad - 1] = (char)n;
	if (n >= depth_limit)
		return n;
	return recurse(n + 1) + pad[0] + pad[sizeof pad - 1];
}
static void do_stackoverflow(void) { sink = recurse(0); }

/* unmapped returns an address in user space with nothing mapped. */
static void *unmapped(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (void *)0x10000; /* below mmap_min_addr on Linux */
	munmap(p, 4096);
	return p;
}

static int badsyscall(void)
{
	errno = 0;
	long r = syscall(9999, 1, 2, 3);
	return check_err(r, ENOSYS, "badsyscall.enosys") ? 0 : 1;
}

/* efault: each bad pointer returns EFAULT, and the process lives. */
static int efault(void)
{
	void *bad[] = {NULL, (void *)KTEXT, (void *)KDIRECT, unmapped()};
	const char *what[] = {"null", "ktext", "kdirect", "unmapped"};
	int p[2], before = counts->failed;
	char name[64];
	if (pipe(p) != 0) {
		fail("efault.pipe", "%s", errname(errno));
		return 1;
	}
	for (int i = 0; i < 4; i++) {
		if (write(p[1], "12345678", 8) != 8)
			fail("efault.setup", "write to pipe: %s", errname(errno));
		snprintf(name, sizeof name, "efault.read.%s", what[i]);
		check_err(syscall(SYS_read, p[0], bad[i], 8), EFAULT, name);
		char drain[64];
		(void)!read(p[0], drain, sizeof drain); /* whatever the failed read left */
		snprintf(name, sizeof name, "efault.write.%s", what[i]);
		check_err(syscall(SYS_write, p[1], bad[i], 8), EFAULT, name);
		snprintf(name, sizeof name, "efault.open.%s", what[i]);
		check_err(syscall(SYS_openat, AT_FDCWD, bad[i], O_RDONLY), EFAULT, name);
		snprintf(name, sizeof name, "efault.stat.path.%s", what[i]);
		char st[256];
		check_err(syscall(SYS_newfstatat, AT_FDCWD, bad[i], st, 0), EFAULT, name);
		snprintf(name, sizeof name, "efault.stat.oldpath.%s", what[i]); /* SYS_stat: musl's stat() */
		check_err(syscall(SYS_stat, bad[i], st), EFAULT, name);
		snprintf(name, sizeof name, "efault.stat.buf.%s", what[i]);
		check_err(syscall(SYS_newfstatat, AT_FDCWD, "/", bad[i], 0), EFAULT, name);
		snprintf(name, sizeof name, "efault.nanosleep.%s", what[i]);
		check_err(syscall(SYS_nanosleep, bad[i], NULL), EFAULT, name);
		snprintf(name, sizeof name, "efault.clock_gettime.%s", what[i]);
		check_err(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad[i]), EFAULT, name);
	}
	close(p[0]);
	close(p[1]);
	return counts->failed != before;
}

/* The handler variant: si_addr and si_code, then back with siglongjmp. */
static sigjmp_buf jb;
static volatile siginfo_t got;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got.si_signo = si->si_signo;
	got.si_code = si->si_code;
	got.si_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static int probe(const char *name, volatile char *addr, int write, int want_code)
{
	memset((void *)&got, 0, sizeof got);
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*addr = 1;
		else
			sink = *addr;
		fail(name, "no SIGSEGV");
		return 0;
	}
	if (got.si_signo != SIGSEGV || got.si_addr != (void *)addr || got.si_code != want_code) {
		fail(name, "signal %d si_code %d si_addr %p, want SIGSEGV si_code %d si_addr %p", got.si_signo, got.si_code,
		     got.si_addr, want_code, (void *)addr);
		return 0;
	}
	ok(name);
	return 1;
}

static int segv_handler(void)
{
	struct sigaction sa = {0};
	int before = counts->failed;
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) != 0) {
		fail("segv.sigaction", "%s", errname(errno));
		return 1;
	}
	probe("segv.maperr.read", (char *)unmapped() + 8, 0, SEGV_MAPERR);
	probe("segv.maperr.write", (char *)unmapped() + 16, 1, SEGV_MAPERR);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED) {
		fail("segv.accerr", "mmap: %s", errname(errno));
		return 1;
	}
	sink = ro[100]; /* reading is fine */
	probe("segv.accerr.write", ro + 100, 1, SEGV_ACCERR);
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none != MAP_FAILED)
		probe("segv.accerr.protnone", none + 8, 0, SEGV_ACCERR);
	probe("segv.again", (char *)unmapped() + 24, 0, SEGV_MAPERR); /* the handler still works */
	return counts->failed != before;
}

struct bad {
	const char *name;
	void (*fn)(void);
	int sig;           /* the signal that must kill it (0: exits 0) */
	int (*verify)(void); /* for sig 0: returns the exit status */
};

static const struct bad cases[] = {
	{"hlt", do_hlt, SIGSEGV, NULL},
	{"cli", do_cli, SIGSEGV, NULL},
	{"wrmsr", do_wrmsr, SIGSEGV, NULL},
	{"in", do_in, SIGSEGV, NULL},
	{"int3", do_int3, SIGTRAP, NULL},
	{"ud2", do_ud2, SIGILL, NULL},
	{"jump0", do_jump0, SIGSEGV, NULL},
	{"div0", do_div0, SIGFPE, NULL},
	{"kread", do_kread, SIGSEGV, NULL},
	{"kread-direct", do_kread_direct, SIGSEGV, NULL},
	{"kwrite", do_kwrite, SIGSEGV, NULL},
	{"kwrite-direct", do_kwrite_direct, SIGSEGV, NULL},
	{"stackoverflow", do_stackoverflow, SIGSEGV, NULL},
	{"badsyscall", NULL, 0, badsyscall},
	{"efault", NULL, 0, efault},
	{"segv-handler", NULL, 0, segv_handler},
};
#define NCASES (sizeof cases / sizeof cases[0])

static int run_case(const struct bad *c)
{
	if (c->fn) {
		c->fn();
		printf("badinst %s: still alive\n", c->name);
		return 1;
	}
	return c->verify();
}

int main(int argc, char **argv)
{
	t_init();
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "all") != 0)) {
		for (size_t i = 0; i < NCASES; i++)
			if (argc == 2 && strcmp(argv[1], cases[i].name) == 0)
				return run_case(&cases[i]);
		fprintf(stderr, "usage: badinst [all");
		for (size_t i = 0; i < NCASES; i++)
			fprintf(stderr, "|%s", cases[i].name);
		fprintf(stderr, "]\n");
		return 2;
	}
	for (size_t i = 0; i < NCASES; i++) {
		const struct bad *c = &cases[i];
		pid_t pid = t_fork();
		if (pid < 0) {
			fail(c->name, "fork: %s", errname(errno));
			continue;
		}
		if (pid == 0) {
			nocore();
			_exit(run_case(c));
		}
		int st = waitchild(pid);
		if (c->sig)
			check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == c->sig, c->name, "%s, want killed by %s",
			      st == -1 ? "wait failed" : wstatus(st), strsignal(c->sig));
		else
			check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, c->name, "%s, want exited 0 (the process lives)",
			      st == -1 ? "wait failed" : wstatus(st));
	}
	return summary();
}
