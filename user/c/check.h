/*
 * check.h: the output convention of the user/c test programs, shared by
 * all of them (each program is one .c file that includes this).
 *
 *   ok NAME                 a check passed
 *   ok NAME # skip: WHY     a check that cannot run here (counted as passed)
 *   FAIL NAME: REASON       a check failed
 *   # ...                   a note
 *   N passed, M failed      the summary; exit status 0 only if M == 0
 *
 * The counters live in a MAP_SHARED anonymous page when the kernel gives
 * one, so that checks made in forked children count too.
 */
#ifndef CHECK_H
#define CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct counts {
	int passed, failed, skipped;
};
static struct counts local_counts;
static struct counts *counts = &local_counts;

static __attribute__((unused)) void t_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		counts = p;
	else
		printf("# no MAP_SHARED|MAP_ANONYMOUS (%s): checks in children are not counted\n", strerror(errno));
}

static __attribute__((unused)) void ok(const char *name)
{
	__atomic_fetch_add(&counts->passed, 1, __ATOMIC_SEQ_CST);
	printf("ok %s\n", name);
}

static __attribute__((unused)) void skip(const char *name, const char *fmt, ...)
{
	va_list ap;
	__atomic_fetch_add(&counts->passed, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&counts->skipped, 1, __ATOMIC_SEQ_CST);
	printf("ok %s # skip: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static __attribute__((unused)) void fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	__atomic_fetch_add(&counts->failed, 1, __ATOMIC_SEQ_CST);
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static __attribute__((unused)) void note(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * check(cond, name, fmt, ...): ok if cond, else FAIL with the message;
 * evaluates to cond. A macro, so that the message's arguments (errno!)
 * are evaluated after cond.
 */
#define check(cond, name, ...)                                                                                         \
	({                                                                                                             \
		int check_c_ = !!(cond);                                                                               \
		if (check_c_)                                                                                          \
			ok(name);                                                                                      \
		else                                                                                                   \
			fail(name, __VA_ARGS__);                                                                       \
		check_c_;                                                                                              \
	})

/* errname: the symbolic name of the errnos the programs expect. */
static __attribute__((unused)) const char *errname(int e)
{
	static char buf[32];
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case ETIMEDOUT: return "ETIMEDOUT";
	}
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/*
 * check_err: the call returned r; it must have failed (r == -1) with
 * errno want.
 */
static __attribute__((unused)) int check_err(long r, int want, const char *name)
{
	int e = errno;
	if (r == -1 && e == want) {
		ok(name);
		return 1;
	}
	if (r == -1)
		fail(name, "failed with %s, want %s", errname(e), errname(want));
	else
		fail(name, "returned %ld, want -1 with %s", r, errname(want));
	return 0;
}

/* check_sys: the call returned r; it must have succeeded (r != -1). */
static __attribute__((unused)) int check_sys(long r, const char *name)
{
	if (r != -1) {
		ok(name);
		return 1;
	}
	fail(name, "%s", errname(errno));
	return 0;
}

/* describe a wait status. */
static __attribute__((unused)) const char *wstatus(int st)
{
	static char buf[64];
	if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, sizeof buf, "status %#x", st);
	return buf;
}

/* waitchild: waitpid, again after EINTR. Returns the status, or -1. */
static __attribute__((unused)) int waitchild(pid_t pid)
{
	int st;
	pid_t r;
	do
		r = waitpid(pid, &st, 0);
	while (r == -1 && errno == EINTR);
	return r == pid ? st : -1;
}

/* t_fork: fork with stdout flushed (no line printed twice). */
static __attribute__((unused)) pid_t t_fork(void)
{
	fflush(stdout);
	return fork();
}

/* nocore: children that crash on purpose do not dump core. */
static __attribute__((unused)) void nocore(void)
{
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
}

static __attribute__((unused)) int summary(void)
{
	fflush(stdout);
	if (counts->skipped)
		printf("%d passed, %d failed (%d skipped)\n", counts->passed, counts->failed, counts->skipped);
	else
		printf("%d passed, %d failed\n", counts->passed, counts->failed);
	return counts->failed ? 1 : 0;
}

#endif
