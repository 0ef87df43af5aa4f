/*
 * signals: signal delivery, masks and default actions.
 *
 * sigaction with and without SA_SIGINFO (si_signo, si_code, si_pid,
 * si_uid), the old action, SA_RESETHAND, EINVAL for SIGKILL and bad
 * numbers; SA_RESTART (a pipe read interrupted by a signal from a child
 * restarts and returns the data) and EINTR without it; sigprocmask
 * blocking, sigpending, delivery on unblock; sigaltstack (the handler
 * runs on the alternate stack, sees SS_ONSTACK); kill and tgkill to self
 * (SI_USER, SI_TKILL), raise; default actions (SIGTERM kills a child:
 * wait status); SIGCHLD on a child's exit (CLD_EXITED, si_pid,
 * si_status); SIGPIPE (default: the writer dies; ignored: EPIPE);
 * sigsuspend; rt_sigreturn restores the interrupted registers (integer
 * and SSE) while the handler changes a global.
 */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

static volatile sig_atomic_t hits, last_sig;
static volatile siginfo_t last_info;
static volatile uintptr_t handler_sp;

static void plain(int sig)
{
	hits++;
	last_sig = sig;
}

static void info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_info.si_signo = si->si_signo;
	last_info.si_code = si->si_code;
	last_info.si_pid = si->si_pid;
	last_info.si_uid = si->si_uid;
	last_info.si_status = si->si_status;
}

static void on_alt(int sig)
{
	volatile char here;
	(void)sig;
	hits++;
	handler_sp = (uintptr_t)&here;
	stack_t ss;
	if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
		last_sig = sig;
}

static int set(int sig, void (*h)(int), int flags)
{
	struct sigaction sa = {0};
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static int setinfo(int sig, int flags)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = info;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void reset(void)
{
	hits = 0;
	last_sig = 0;
	memset((void *)&last_info, 0, sizeof last_info);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void test_sigaction(void)
{
	reset();
	set(SIGUSR1, plain, 0);
	raise(SIGUSR1);
	check(hits == 1 && last_sig == SIGUSR1, "sigaction.plain", "hits %d sig %d", hits, last_sig);

	reset();
	setinfo(SIGUSR2, 0);
	kill(getpid(), SIGUSR2);
	check(hits == 1 && last_info.si_signo == SIGUSR2 && last_info.si_code == SI_USER && last_info.si_pid == getpid() &&
		      last_info.si_uid == getuid(),
	      "sigaction.siginfo.kill", "hits %d signo %d code %d pid %d uid %d", hits, last_info.si_signo,
	      last_info.si_code, last_info.si_pid, last_info.si_uid);

	reset();
	syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR2);
	check(hits == 1 && last_info.si_code == SI_TKILL && last_info.si_pid == getpid(), "tgkill.self",
	      "hits %d code %d pid %d", hits, last_info.si_code, last_info.si_pid);

	reset();
	raise(SIGUSR2);
	check(hits == 1 && last_info.si_signo == SIGUSR2, "raise", "hits %d signo %d", hits, last_info.si_signo);

	struct sigaction old;
	set(SIGUSR1, plain, 0);
	struct sigaction sa = {0};
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, &old);
	check(old.sa_handler == plain, "sigaction.oldact", "old handler %p, want %p", (void *)old.sa_handler, (void *)plain);
	reset();
	raise(SIGUSR1);
	check(hits == 0, "sigaction.ignored", "an ignored signal ran the handler");

	reset();
	set(SIGUSR1, plain, SA_RESETHAND);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	check(hits == 1 && old.sa_handler == SIG_DFL, "sigaction.resethand", "hits %d, handler after %p", hits,
	      (void *)old.sa_handler);

	sa.sa_handler = plain;
	check_err(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigaction.sigkill.einval");
	check_err(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigaction.sigstop.einval");
	check_err(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL, "sigaction.zero.einval");
	check_err(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL, "sigaction.65.einval");
	check_err(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL, "sigaction.sigsetsize.einval");
	check_err(kill(getpid(), 99), EINVAL, "kill.badsig.einval");
	check(kill(getpid(), 0) == 0, "kill.sig0", "kill(self, 0): %s", errname(errno));
}

/*
 * A read from an empty pipe, interrupted by SIGUSR1 from a child after
 * 50 ms; the child writes a byte after 200 ms.
 */
static long interrupted_read(int restart, int *err, int *got_hits)
{
	int p[2];
	char c = 0;
	if (pipe(p) != 0)
		return -2;
	reset();
	set(SIGUSR1, plain, restart ? SA_RESTART : 0);
	pid_t parent = getpid();
	pid_t pid = t_fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		sleep_ms(150);
		(void)!write(p[1], "x", 1);
		_exit(0);
	}
	long r = read(p[0], &c, 1);
	*err = errno;
	*got_hits = hits;
	waitchild(pid);
	close(p[0]);
	close(p[1]);
	return r == 1 ? c : r;
}

static void test_restart(void)
{
	int err, h;
	long r = interrupted_read(1, &err, &h);
	check(r == 'x' && h == 1, "sa_restart.read", "read returned %ld (%s), handler ran %d times", r, errname(err), h);
	r = interrupted_read(0, &err, &h);
	check(r == -1 && err == EINTR && h == 1, "eintr.read", "read returned %ld (%s), handler ran %d times, want -1 EINTR",
	      r, errname(err), h);
}

static void test_mask(void)
{
	sigset_t set_, old, pend;
	reset();
	set(SIGUSR1, plain, 0);
	sigemptyset(&set_);
	sigaddset(&set_, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set_, &old);
	raise(SIGUSR1);
	check(hits == 0, "sigprocmask.blocked", "a blocked signal was delivered");
	sigpending(&pend);
	check(sigismember(&pend, SIGUSR1) == 1, "sigpending", "SIGUSR1 not pending");
	raise(SIGUSR1); /* standard signals do not queue */
	sigprocmask(SIG_SETMASK, &old, NULL);
	check(hits == 1, "sigprocmask.unblock.delivers", "handler ran %d times after unblocking, want 1", hits);
	sigpending(&pend);
	check(sigismember(&pend, SIGUSR1) == 0, "sigpending.cleared", "SIGUSR1 still pending");

	/* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them from the mask. */
	sigemptyset(&set_);
	sigaddset(&set_, SIGKILL);
	sigprocmask(SIG_BLOCK, &set_, &old);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	check(sigismember(&now, SIGKILL) == 0, "sigprocmask.sigkill.unblockable", "SIGKILL in the mask");
	sigprocmask(SIG_SETMASK, &old, NULL);
	check_err(syscall(SYS_rt_sigprocmask, 99, &set_, NULL, 8), EINVAL, "sigprocmask.how.einval");

	/* sigsuspend: blocked, pending, delivered inside sigsuspend. */
	reset();
	sigemptyset(&set_);
	sigaddset(&set_, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set_, &old);
	raise(SIGUSR1);
	sigset_t empty;
	sigemptyset(&empty);
	int r = sigsuspend(&empty);
	int e = errno;
	sigprocmask(SIG_SETMASK, NULL, &now);
	check(r == -1 && e == EINTR && hits == 1 && sigismember(&now, SIGUSR1) == 1, "sigsuspend",
	      "returned %d (%s), hits %d, mask restored %d", r, errname(e), hits, sigismember(&now, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_altstack(void)
{
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
	if (sigaltstack(&ss, NULL) != 0) {
		fail("sigaltstack", "%s", errname(errno));
		return;
	}
	reset();
	handler_sp = 0;
	set(SIGUSR2, on_alt, SA_ONSTACK);
	raise(SIGUSR2);
	uintptr_t lo = (uintptr_t)alt, hi = lo + sizeof alt;
	check(hits == 1 && handler_sp >= lo && handler_sp < hi && last_sig == SIGUSR2, "sigaltstack.handler",
	      "handler sp %#lx, alt stack %#lx-%#lx, SS_ONSTACK %s", (unsigned long)handler_sp, (unsigned long)lo,
	      (unsigned long)hi, last_sig ? "yes" : "no");
	stack_t cur;
	sigaltstack(NULL, &cur);
	check(!(cur.ss_flags & SS_ONSTACK), "sigaltstack.left", "still SS_ONSTACK after the handler");
	ss.ss_size = 100; /* below MINSIGSTKSZ */
	check_err(sigaltstack(&ss, NULL), ENOMEM, "sigaltstack.small.enomem");
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static void test_default(void)
{
	/* SIGTERM's default action kills. */
	int p[2];
	(void)!pipe(p);
	pid_t pid = t_fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		(void)!read(p[0], &c, 1); /* blocks until killed */
		_exit(0);
	}
	close(p[0]);
	kill(pid, SIGTERM);
	int st = waitchild(pid);
	close(p[1]);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "default.sigterm", "child %s", wstatus(st));

	/* SIGCHLD with siginfo when a child exits. */
	reset();
	setinfo(SIGCHLD, 0);
	pid = t_fork();
	if (pid == 0)
		_exit(7);
	for (int i = 0; i < 500 && hits == 0; i++)
		sleep_ms(10);
	int h = hits;
	siginfo_t si = *(siginfo_t *)&last_info;
	st = waitchild(pid);
	check(h == 1 && si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_pid == pid && si.si_status == 7,
	      "sigchld", "hits %d signo %d code %d pid %d (child %d) status %d", h, si.si_signo, si.si_code, si.si_pid, pid,
	      si.si_status);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 7, "sigchld.wait", "child %s", wstatus(st));
	set(SIGCHLD, SIG_DFL, 0);

	/* SIGPIPE: default kills the writer; ignored gives EPIPE. */
	pid = t_fork();
	if (pid == 0) {
		int q[2];
		(void)!pipe(q);
		close(q[0]);
		(void)!write(q[1], "x", 1);
		_exit(0);
	}
	st = waitchild(pid);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "sigpipe.default", "writer %s", wstatus(st));
	int q[2];
	(void)!pipe(q);
	close(q[0]);
	set(SIGPIPE, SIG_IGN, 0);
	long r = write(q[1], "x", 1);
	check_err(r, EPIPE, "sigpipe.ignored.epipe");
	set(SIGPIPE, SIG_DFL, 0);
	close(q[1]);
}

/*
 * rt_sigreturn: a loop keeps its state in registers (integer and SSE)
 * until a handler, run asynchronously on a signal from a child, sets a
 * flag; the handler also does floating-point work of its own. The loop's
 * result must equal a recomputation of the same number of steps.
 */
static volatile sig_atomic_t stop_loop;
static volatile double handler_fp;
static void on_stop(int sig)
{
	double x = 1.0;
	for (int i = 1; i < 1000; i++)
		x = x * 1.0001 + 1.0 / i; /* clobbers SSE registers */
	handler_fp = x;
	stop_loop = sig;
}

static void step(uint64_t *a, uint64_t *b, double *d, uint64_t i)
{
	*a = *a * 6364136223846793005ull + i;
	*b ^= *a >> 17;
	*d = *d * 0.999 + (double)(i & 1023);
}

static void test_sigreturn(void)
{
	set(SIGUSR1, on_stop, 0);
	stop_loop = 0;
	pid_t parent = getpid();
	pid_t pid = t_fork();
	if (pid == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	uint64_t a = 1, b = 2, n = 0;
	double d = 3.0;
	while (!stop_loop) {
		step(&a, &b, &d, n);
		n++;
	}
	waitchild(pid);
	uint64_t a2 = 1, b2 = 2;
	double d2 = 3.0;
	for (uint64_t i = 0; i < n; i++)
		step(&a2, &b2, &d2, i);
	check(a == a2 && b == b2 && d == d2 && n > 0 && handler_fp > 1.0, "rt_sigreturn.registers",
	      "after %llu steps: %#llx %#llx %g, recomputed %#llx %#llx %g", (unsigned long long)n, (unsigned long long)a,
	      (unsigned long long)b, d, (unsigned long long)a2, (unsigned long long)b2, d2);
	set(SIGUSR1, SIG_DFL, 0);
}

int main(void)
{
	t_init();
	test_sigaction();
	test_restart();
	test_mask();
	test_altstack();
	test_default();
	test_sigreturn();
	return summary();
}
