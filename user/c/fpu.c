/*
 * fpu: a thread's FPU state survives every way into the kernel and back.
 *
 * The x87 registers and control word, MXCSR and the XMM registers are the
 * program's own: across system calls, page faults, timer interrupts and
 * preemption (a busy loop long enough to be interrupted many times),
 * across a second thread on the same CPU that uses other values, across
 * fork (the child starts with the parent's state), and across a signal
 * whose handler changes all of them (rt_sigreturn restores the
 * interrupted state, x87 included). The kernel saves only part of this
 * state on some trips, so each check keeps values live in registers
 * (inside one asm block) while the kernel runs.
 */
#include "check.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>

static unsigned short get_fcw(void)
{
	unsigned short c;
	__asm__ volatile("fnstcw %0" : "=m"(c));
	return c;
}

static void set_fcw(unsigned short c) { __asm__ volatile("fldcw %0" : : "m"(c)); }

static unsigned get_mxcsr(void)
{
	unsigned m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static void set_mxcsr(unsigned m) { __asm__ volatile("ldmxcsr %0" : : "m"(m)); }

/*
 * The asm blocks below keep values live across trips into the kernel:
 * LIVE_IN pushes operands a and b on the x87 stack and loads x into XMM7,
 * LIVE_OUT stores them back into oa, ob and ox.
 */
#define LIVE_IN "fldt %[a]\n\tfldt %[b]\n\tmovsd %[x], %%xmm7\n\t"
#define LIVE_OUT "movsd %%xmm7, %[ox]\n\tfstpt %[ob]\n\tfstpt %[oa]\n\t"

enum { TRIP_SYSCALL, TRIP_FAULT, TRIP_SPIN, TRIP_YIELD };

static char *fault_area;
static long fault_pages;

/*
 * trips pushes a and b on the x87 stack and puts x in XMM7, makes n trips
 * of the given kind into the kernel (the registers stay live all along),
 * and returns what the registers hold afterwards.
 */
static void trips(int kind, long n, long double a, long double b, double x, long double *ra, long double *rb, double *rx)
{
	long double oa, ob;
	double ox;
	char *p = fault_area;
	switch (kind) {
	case TRIP_SYSCALL:
	case TRIP_YIELD: {
		long nr = kind == TRIP_SYSCALL ? SYS_getppid : SYS_sched_yield;
		__asm__ volatile(LIVE_IN
				 "1:\n\t"
				 "mov %[nr], %%rax\n\t"
				 "syscall\n\t"
				 "dec %[n]\n\t"
				 "jnz 1b\n\t"
				 LIVE_OUT
				 : [oa] "=m"(oa), [ob] "=m"(ob), [ox] "=m"(ox), [n] "+r"(n)
				 : [a] "m"(a), [b] "m"(b), [x] "m"(x), [nr] "r"(nr)
				 : "rax", "rcx", "r11", "xmm7", "memory");
		break;
	}
	case TRIP_FAULT:
		__asm__ volatile(LIVE_IN
				 "1:\n\t"
				 "movb $1, (%[p])\n\t"
				 "add $4096, %[p]\n\t"
				 "dec %[n]\n\t"
				 "jnz 1b\n\t"
				 LIVE_OUT
				 : [oa] "=m"(oa), [ob] "=m"(ob), [ox] "=m"(ox), [n] "+r"(n), [p] "+r"(p)
				 : [a] "m"(a), [b] "m"(b), [x] "m"(x)
				 : "xmm7", "memory");
		break;
	case TRIP_SPIN:
		__asm__ volatile(LIVE_IN
				 "1:\n\t"
				 "dec %[n]\n\t"
				 "jnz 1b\n\t"
				 LIVE_OUT
				 : [oa] "=m"(oa), [ob] "=m"(ob), [ox] "=m"(ox), [n] "+r"(n)
				 : [a] "m"(a), [b] "m"(b), [x] "m"(x)
				 : "xmm7", "memory");
		break;
	}
	*ra = oa;
	*rb = ob;
	*rx = ox;
}

/* One check: set the control words, make trips, compare everything. */
static int check_trips(const char *name, int kind, long n, unsigned short fcw, unsigned mxcsr, long double a, long double b, double x)
{
	long double ra, rb;
	double rx;
	unsigned short fcw0 = get_fcw();
	unsigned mxcsr0 = get_mxcsr();
	set_fcw(fcw);
	set_mxcsr(mxcsr);
	trips(kind, n, a, b, x, &ra, &rb, &rx);
	unsigned short fcw1 = get_fcw();
	unsigned mxcsr1 = get_mxcsr();
	set_fcw(fcw0);
	set_mxcsr(mxcsr0);
	if (fcw1 != fcw || mxcsr1 != mxcsr || ra != a || rb != b || rx != x) {
		fail(name, "after %ld trips: FCW %#x (want %#x), MXCSR %#x (want %#x), st %Lg %Lg (want %Lg %Lg), xmm7 %g (want %g)",
		     n, fcw1, fcw, mxcsr1, mxcsr, ra, rb, a, b, rx, x);
		return 0;
	}
	return 1;
}

static void test_trips(void)
{
	/* FCW 0x0c7f: round toward zero, 64-bit precision; MXCSR 0x7f80: round toward zero. */
	if (check_trips("fpu.syscalls", TRIP_SYSCALL, 20000, 0x0c7f, 0x7f80, 1.0L / 3, -2.5e300L, 3.25))
		ok("fpu.syscalls");
	fault_pages = 2048;
	fault_area = mmap(NULL, fault_pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fault_area == MAP_FAILED) {
		fail("fpu.faults", "mmap: %s", strerror(errno));
	} else {
		if (check_trips("fpu.faults", TRIP_FAULT, fault_pages, 0x067f, 0x3f80, 7.0L / 9, 1e-4000L, -0.125))
			ok("fpu.faults");
		munmap(fault_area, fault_pages * 4096);
	}
	/* Long enough for many timer ticks, even under an emulator. */
	if (check_trips("fpu.interrupts", TRIP_SPIN, 300000000, 0x0e7f, 0x5f80, 2.0L / 7, 12345.678L, 1e100))
		ok("fpu.interrupts");
	if (check_trips("fpu.sched_yield", TRIP_YIELD, 2000, 0x0c7f, 0x7f80, 5.0L / 3, -1.0L, 2.0))
		ok("fpu.sched_yield");
}

/*
 * Two threads pinned to one CPU, each with its own x87 and SSE values,
 * yielding to each other: a switch must not hand one's state to the other.
 */
static volatile int other_failed, stop_other;

static void *other_thread(void *arg)
{
	(void)arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof set, &set);
	while (!stop_other) {
		long double ra, rb;
		double rx;
		set_fcw(0x007f); /* round to nearest, 24-bit precision */
		set_mxcsr(0x1f80);
		trips(TRIP_YIELD, 50, -7.0L, 1.0L / 7, -9.5, &ra, &rb, &rx);
		if (get_fcw() != 0x007f || get_mxcsr() != 0x1f80 || ra != -7.0L || rb != 1.0L / 7 || rx != -9.5)
			other_failed = 1;
	}
	return NULL;
}

static void test_two_threads(void)
{
	cpu_set_t set, old;
	sched_getaffinity(0, sizeof old, &old);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		fail("fpu.two_threads", "sched_setaffinity: %s", strerror(errno));
		return;
	}
	pthread_t th;
	if (pthread_create(&th, NULL, other_thread, NULL) != 0) {
		fail("fpu.two_threads", "pthread_create failed");
		return;
	}
	int good = 1;
	for (int i = 0; i < 40 && good; i++)
		good = check_trips("fpu.two_threads", TRIP_YIELD, 50, 0x0c7f, 0x7f80, 1.0L / 3, 42.0L, 0.75);
	stop_other = 1;
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof old, &old);
	if (other_failed) {
		fail("fpu.two_threads", "the other thread on the same CPU saw its x87 or SSE state change");
		good = 0;
	}
	if (good)
		ok("fpu.two_threads");
}

/* fork: the child starts with the parent's control words. */
static void test_fork(void)
{
	set_fcw(0x0c7f);
	set_mxcsr(0x7f80);
	pid_t pid = fork();
	if (pid == 0) {
		_exit(get_fcw() == 0x0c7f && get_mxcsr() == 0x7f80 ? 0 : 1);
	}
	set_fcw(0x037f);
	set_mxcsr(0x1f80);
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		fail("fpu.fork", "fork or waitpid failed: %s", strerror(errno));
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fail("fpu.fork", "the child did not start with the parent's FCW and MXCSR (status %#x)", st);
		return;
	}
	ok("fpu.fork");
}

/*
 * A signal arrives while x87 and SSE values are live; the handler changes
 * the control words and uses the x87 stack itself; after rt_sigreturn the
 * interrupted code has its own state back.
 */
static volatile sig_atomic_t handled;

static void scribble(int sig)
{
	(void)sig;
	set_fcw(0x0f7f);
	set_mxcsr(0x9f80);
	volatile long double v = 1.0L;
	for (int i = 0; i < 10; i++)
		v = v * 3.0L + 1.0L;
	volatile double d = 2.0;
	for (int i = 0; i < 10; i++)
		d = d * 1.5;
	handled = 1;
}

static void test_signal(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = scribble;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
	/* raise from a second process would be asynchronous; kill to self
	 * is delivered on the way out of the kill system call, inside the
	 * asm loop below (the registers are live). */
	long double a = 11.0L / 13, b = -3.0e-200L, ra, rb;
	double x = 6.5, rx;
	unsigned short fcw0 = get_fcw();
	unsigned mxcsr0 = get_mxcsr();
	set_fcw(0x0c7f);
	set_mxcsr(0x7f80);
	long pid = getpid();
	__asm__ volatile(LIVE_IN
			 "mov $62, %%eax\n\t" /* kill(getpid(), SIGUSR1) */
			 "mov %[pid], %%rdi\n\t"
			 "mov $10, %%esi\n\t"
			 "syscall\n\t"
			 LIVE_OUT
			 : [oa] "=m"(ra), [ob] "=m"(rb), [ox] "=m"(rx)
			 : [a] "m"(a), [b] "m"(b), [x] "m"(x), [pid] "r"(pid)
			 : "rax", "rcx", "rdi", "rsi", "r11", "xmm7", "memory");
	unsigned short fcw1 = get_fcw();
	unsigned mxcsr1 = get_mxcsr();
	set_fcw(fcw0);
	set_mxcsr(mxcsr0);
	if (!handled) {
		fail("fpu.signal", "the handler did not run");
		return;
	}
	if (fcw1 != 0x0c7f || mxcsr1 != 0x7f80 || ra != a || rb != b || rx != x) {
		fail("fpu.signal", "after the handler: FCW %#x (want 0xc7f), MXCSR %#x (want 0x7f80), st %Lg %Lg (want %Lg %Lg), xmm7 %g (want %g)",
		     fcw1, mxcsr1, ra, rb, a, b, rx, x);
		return;
	}
	ok("fpu.signal");
}

int main(void)
{
	t_init();
	test_trips();
	test_two_threads();
	test_fork();
	test_signal();
	return summary();
}
