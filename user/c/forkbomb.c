/*
 * forkbomb: fork until the kernel says no.
 *
 *   forkbomb [-nproc N] [-max N]
 *
 * A leader process forks children that each block on a pipe, until fork
 * fails with EAGAIN (the kernel's process limit), and prints how many it
 * got; then it closes the pipe, every child exits and is reaped, and a
 * fork works again. Safe on a host: the leader lowers RLIMIT_NPROC to
 * -nproc (default 200) first — and since root ignores RLIMIT_NPROC, a
 * leader running as root switches to the user nobody (65534) when it can.
 * -max (default 10000) is the last safety net: the leader stops there and
 * the check fails (no limit seen).
 */
#include "check.h"
#include <signal.h>
#include <sys/resource.h>

struct report {
	long forked, reaped, bad_status, eagain, other_errno, uid;
};

static void leader(struct report *r, long nproc, long max)
{
	r->uid = -1;
	if (geteuid() == 0) {
		/* root is exempt from RLIMIT_NPROC: become nobody where the kernel lets us */
		if (setgid(65534) == 0 && setuid(65534) == 0)
			r->uid = 65534;
	} else
		r->uid = geteuid();
	struct rlimit rl = {(rlim_t)nproc, (rlim_t)nproc};
	if (setrlimit(RLIMIT_NPROC, &rl) != 0)
		printf("# setrlimit(RLIMIT_NPROC, %ld): %s\n", nproc, errname(errno));
	int p[2];
	if (pipe(p) != 0)
		_exit(1);
	for (;;) {
		if (r->forked >= max)
			break;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(p[1]);
			(void)!read(p[0], &c, 1); /* until the leader closes the pipe */
			_exit(0);
		}
		if (pid < 0) {
			if (errno == EAGAIN)
				r->eagain = 1;
			else
				r->other_errno = errno;
			break;
		}
		r->forked++;
	}
	close(p[1]); /* every child reads EOF and exits */
	int st;
	pid_t w;
	while ((w = wait(&st)) > 0 || errno == EINTR)
		if (w > 0) {
			r->reaped++;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				r->bad_status++;
		}
	_exit(0);
}

int main(int argc, char **argv)
{
	long nproc = 200, max = 10000;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "-nproc") == 0)
			nproc = atol(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "-max") == 0)
			max = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: forkbomb [-nproc N] [-max N]\n");
			return 2;
		}
	}
	t_init();
	struct report *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		fail("setup", "mmap: %s", errname(errno));
		return summary();
	}
	pid_t pid = t_fork();
	if (pid == 0)
		leader(r, nproc, max);
	int st = waitchild(pid);
	if (r->uid == 65534)
		note("the leader ran as nobody (uid 65534) with RLIMIT_NPROC %ld", nproc);
	else if (r->uid >= 0)
		note("the leader ran as uid %ld with RLIMIT_NPROC %ld", r->uid, nproc);
	else
		note("the leader ran as root (setuid to nobody failed): only the kernel's own process limit applies");
	printf("forkbomb: %ld children forked before fork failed\n", r->forked);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "leader", "leader %s", wstatus(st));
	if (r->other_errno)
		fail("fork.eagain", "fork failed with %s after %ld children, want EAGAIN", errname(r->other_errno), r->forked);
	else
		check(r->eagain && r->forked > 0, "fork.eagain", r->eagain ? "the first fork failed" : "%ld forks and no EAGAIN (-max reached)",
		      r->forked);
	check(r->reaped == r->forked, "reap.all", "%ld reaped of %ld", r->reaped, r->forked);
	check(r->bad_status == 0, "children.exit0", "%ld children did not exit 0", r->bad_status);
	pid = t_fork();
	if (pid == 0)
		_exit(5);
	st = waitchild(pid);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5, "fork.after", "a fork after the bomb: %s", wstatus(st));
	return summary();
}
