/*
 * forkcow: fork, copy-on-write, exec and wait.
 *
 * After fork the child writes to private memory — anonymous pages, a
 * global and the heap, a MAP_PRIVATE file mapping, and 4 MiB of anonymous
 * memory advised MADV_HUGEPAGE — and the parent still sees its own values
 * (and the parent's later writes do not reach the child); a MAP_SHARED
 * anonymous page is seen by both; vfork + execve of this program
 * ("forkcow exit N") and its exit status; wait4 statuses (exit code,
 * killed by a signal, WNOHANG while the child runs, ECHILD with no child,
 * rusage); getppid in the child; an orphan re-parented to PID 1 (a
 * grandchild sees getppid() == 1 once its parent has exited — when this
 * program's ancestors include a child subreaper instead of init, the
 * check notes which PID adopted it).
 */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

static int global = 1;
static const char *self = "/proc/self/exe";

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* child_status: fork, run fn in the child, return the wait status. */
static int child_status(int (*fn)(void *), void *arg)
{
	pid_t pid = t_fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	return waitchild(pid);
}

struct cow {
	volatile int *anon;
	int *heap;
	volatile char *file;
};

/* The child sees the parent's values and overwrites them. */
static int cow_child(void *arg)
{
	struct cow *c = arg;
	int bad = 0;
	bad |= (*c->anon != 11) << 0;
	bad |= (global != 22) << 1;
	bad |= (*c->heap != 33) << 2;
	bad |= (c->file[0] != 'p') << 3;
	*c->anon = 111;
	global = 222;
	*c->heap = 333;
	c->file[0] = 'c';
	bad |= (*c->anon != 111 || global != 222 || *c->heap != 333 || c->file[0] != 'c') << 4;
	return bad;
}

static char tmpl[] = "/tmp/forkcow-XXXXXX";

static void test_cow(void)
{
	struct cow c;
	c.anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.heap = malloc(sizeof *c.heap);
	int fd = mkstemp(tmpl);
	if (c.anon == MAP_FAILED || !c.heap || fd < 0 || write(fd, "p", 1) != 1 || ftruncate(fd, 4096) != 0) {
		fail("cow.setup", "%s", errname(errno));
		return;
	}
	unlink(tmpl);
	c.file = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (c.file == MAP_FAILED) {
		fail("cow.setup", "mmap of the file: %s", errname(errno));
		return;
	}
	*c.anon = 11;
	global = 22;
	*c.heap = 33;
	int st = child_status(cow_child, &c);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "cow.child.sees.parent", "child %s (bits: 1 anon, 2 global, 4 heap, 8 file, 16 own writes)",
	      wstatus(st));
	check(*c.anon == 11, "cow.anon", "parent reads %d, want 11", *c.anon);
	check(global == 22, "cow.global", "parent reads %d, want 22", global);
	check(*c.heap == 33, "cow.heap", "parent reads %d, want 33", *c.heap);
	check(c.file[0] == 'p', "cow.file.private", "parent's private mapping reads %c, want p", c.file[0]);
	char b = 0;
	check(pread(fd, &b, 1, 0) == 1 && b == 'p', "cow.file.unchanged", "the file reads %c, want p", b);

	/* The other direction: the parent writes after fork, the child keeps the old value. */
	int p[2], q[2];
	(void)!pipe(p);
	(void)!pipe(q);
	pid_t pid = t_fork();
	if (pid == 0) {
		char x;
		(void)!read(p[0], &x, 1); /* the parent has written */
		_exit(*c.anon == 11 && c.file[0] == 'p' ? 0 : 1);
	}
	*c.anon = 44;
	c.file[0] = 'q';
	(void)!write(p[1], "g", 1);
	st = waitchild(pid);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "cow.parent.writes", "child %s (it saw the parent's write)",
	      wstatus(st));
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
	munmap((void *)c.file, 4096);
	close(fd);
	free(c.heap);

	/* MAP_SHARED|MAP_ANONYMOUS is shared across fork. */
	volatile int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		fail("shared.anon", "mmap: %s", errname(errno));
		return;
	}
	*sh = 1;
	pid = t_fork();
	if (pid == 0) {
		*sh = 2;
		_exit(0);
	}
	waitchild(pid);
	check(*sh == 2, "shared.anon", "parent reads %d, want the child's 2", *sh);
}

#define THP (4 << 20)

static int thp_child(void *arg)
{
	volatile uint64_t *m = arg;
	for (size_t i = 0; i < THP / 8; i += 512)
		if (m[i] != i)
			return 1;
	for (size_t i = 0; i < THP / 8; i += 512)
		m[i] = ~i;
	for (size_t i = 0; i < THP / 8; i += 512)
		if (m[i] != ~i)
			return 2;
	return 0;
}

/* anon_huge_kb: AnonHugePages of the smaps entry containing addr (-1: unknown). */
static long anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[256];
	int in = 0;
	long kb = -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = lo <= (uintptr_t)addr && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void test_thp(void)
{
	char *raw = mmap(NULL, 2 * THP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		fail("cow.thp", "mmap: %s", errname(errno));
		return;
	}
	uint64_t *m = (uint64_t *)(((uintptr_t)raw + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	if (madvise(m, THP, MADV_HUGEPAGE) != 0)
		note("madvise(MADV_HUGEPAGE): %s (going on with small pages)", errname(errno));
	for (size_t i = 0; i < THP / 8; i += 512)
		m[i] = i;
	long kb = anon_huge_kb(m);
	if (kb >= 0)
		note("cow.thp: %ld kB of the 4 MiB in huge pages before fork", kb);
	int st = child_status(thp_child, m);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "cow.thp.child", "child %s (1: did not see the parent's data)",
	      wstatus(st));
	size_t bad = 0;
	for (size_t i = 0; i < THP / 8; i += 512)
		bad += m[i] != i;
	check(bad == 0, "cow.thp.parent", "%zu of %d pages show the child's writes", bad, THP / 4096);
	munmap(raw, 2 * THP);
}

static void test_exec(void)
{
	pid_t pid = vfork();
	if (pid == 0) {
		char *argv[] = {"forkcow", "exit", "42", NULL};
		char *envp[] = {"FORKCOW=1", NULL};
		execve(self, argv, envp);
		_exit(127);
	}
	int st = waitchild(pid);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 42, "vfork.execve", "child %s, want exited 42 (127: execve %s failed)",
	      wstatus(st), self);

	/* wait4 with rusage, exit status and signal status. */
	pid = t_fork();
	if (pid == 0)
		_exit(3);
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	int s;
	pid_t w = wait4(pid, &s, 0, &ru);
	check(w == pid && WIFEXITED(s) && WEXITSTATUS(s) == 3 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000,
	      "wait4.exit", "wait4 %d (child %d): %s", w, pid, wstatus(s));
	pid = t_fork();
	if (pid == 0) {
		signal(SIGUSR1, SIG_DFL);
		raise(SIGUSR1);
		_exit(0);
	}
	st = waitchild(pid);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1, "wait4.signal", "child %s, want killed by SIGUSR1",
	      wstatus(st));
	pid = t_fork();
	if (pid == 0) {
		nocore();
		abort();
	}
	st = waitchild(pid);
	check(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "wait4.abort", "child %s, want killed by SIGABRT",
	      wstatus(st));

	int p[2];
	(void)!pipe(p);
	pid = t_fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		(void)!read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	w = wait4(pid, &s, WNOHANG, NULL);
	check(w == 0, "wait4.wnohang", "wait4(WNOHANG) on a running child returned %d", w);
	close(p[1]); /* EOF: the child exits */
	st = waitchild(pid);
	check(st != -1 && WIFEXITED(st), "wait4.after.wnohang", "child %s", wstatus(st));
	check_err(wait4(-1, &s, 0, NULL), ECHILD, "wait4.echild");
}

static int ppid_child(void *arg) { return getppid() == *(pid_t *)arg ? 0 : 1; }

static void test_orphan(void)
{
	pid_t me = getpid();
	int st = child_status(ppid_child, &me);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "getppid", "child %s (1: wrong parent)", wstatus(st));

	/* child C forks grandchild G and exits; G reports its parent before and after. */
	int p[2];
	if (pipe(p) != 0) {
		fail("orphan", "pipe: %s", errname(errno));
		return;
	}
	pid_t c = t_fork();
	if (c == 0) {
		int s[2];
		if (pipe(s) != 0)
			_exit(1);
		pid_t g = fork();
		if (g == 0) {
			/* report the parent before it exits, then wait for the change */
			pid_t was = getppid(), now = was;
			(void)!write(s[1], &was, sizeof was);
			for (int i = 0; i < 300 && now == was; i++) {
				sleep_ms(10);
				now = getppid();
			}
			pid_t r[2] = {was, now};
			(void)!write(p[1], r, sizeof r);
			_exit(0);
		}
		pid_t was;
		_exit(g > 0 && read(s[0], &was, sizeof was) == sizeof was ? 0 : 1);
	}
	close(p[1]);
	st = waitchild(c);
	pid_t r[2] = {0, 0};
	long n = read(p[0], r, sizeof r);
	close(p[0]);
	if (me == 1) /* we are init: the orphan is ours to reap */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	if (n != sizeof r || st == -1 || !WIFEXITED(st)) {
		fail("orphan", "no report from the grandchild (child %s)", wstatus(st));
		return;
	}
	if (r[0] != c)
		fail("orphan", "grandchild's parent was %d, want the child %d", r[0], c);
	else if (r[1] == 1)
		ok("orphan.reparent.init");
	else if (r[1] == c)
		fail("orphan.reparent.init", "still the child of %d after it exited", c);
	else
		skip("orphan.reparent.init", "re-parented to PID %d, a child subreaper between this program and init", r[1]);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return getenv("FORKCOW") ? atoi(argv[2]) : 126;
	t_init();
	if (access(self, X_OK) != 0) /* no /proc: argv[0] if it is a path, else /bin */
		self = strchr(argv[0], '/') ? argv[0] : "/bin/forkcow";
	test_cow();
	test_thp();
	test_exec();
	test_orphan();
	return summary();
}
