/*
 * oomhog: take memory until the kernel refuses or kills.
 *
 *   oomhog [parent] [-as MiB | -unlimited] [-chunk MiB]
 *   oomhog hog [-as MiB | -unlimited] [-chunk MiB]
 *
 * "hog" maps anonymous memory -chunk MiB (default 4) at a time and writes
 * every page, until mmap fails (ENOMEM) or the kernel kills it, printing
 * how far it got. "parent" (the default) runs the hog in a child, reports
 * how the child ended — exited after ENOMEM, or killed by SIGKILL (the
 * OOM killer): both are fine — and then checks that memory came back (it
 * maps and touches 16 MiB itself).
 *
 * Safe on a host: the hog caps its address space with RLIMIT_AS at -as
 * MiB (default 256), so mmap fails long before the machine runs out. On
 * retract give -unlimited to exhaust the kernel's memory for real.
 */
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>

struct progress {
	volatile long mib;     /* memory mapped and touched so far */
	volatile int mmap_err; /* errno of the failed mmap, 0 if none */
};

static void hog(struct progress *p, long as_mib, long chunk_mib)
{
	if (as_mib > 0) {
		struct rlimit rl = {(rlim_t)as_mib << 20, (rlim_t)as_mib << 20};
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			printf("# setrlimit(RLIMIT_AS, %ld MiB): %s\n", as_mib, errname(errno));
	}
	size_t chunk = (size_t)chunk_mib << 20;
	for (;;) {
		char *m = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			p->mmap_err = errno;
			printf("oomhog: mmap failed with %s after %ld MiB\n", errname(errno), p->mib);
			return;
		}
		for (size_t i = 0; i < chunk; i += 4096) {
			m[i] = 1;
			if ((i & ((1 << 20) - 1)) == 0 && i)
				p->mib++;
		}
		p->mib++;
	}
}

/* anon_ok: mmap and touch n MiB, then free it. */
static int anon_ok(long n)
{
	size_t len = (size_t)n << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	for (size_t i = 0; i < len; i += 4096)
		m[i] = 2;
	munmap(m, len);
	return 1;
}

int main(int argc, char **argv)
{
	long as_mib = 256, chunk_mib = 4;
	int child_only = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "hog") == 0)
			child_only = 1;
		else if (strcmp(argv[i], "parent") == 0)
			child_only = 0;
		else if (strcmp(argv[i], "-unlimited") == 0)
			as_mib = 0;
		else if (i + 1 < argc && strcmp(argv[i], "-as") == 0)
			as_mib = atol(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "-chunk") == 0)
			chunk_mib = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: oomhog [parent|hog] [-as MiB | -unlimited] [-chunk MiB]\n");
			return 2;
		}
	}
	if (chunk_mib < 1)
		chunk_mib = 1;
	t_init();
	if (child_only) {
		struct progress p = {0, 0};
		hog(&p, as_mib, chunk_mib);
		return p.mmap_err == ENOMEM ? 0 : 1;
	}
	struct progress *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fail("setup", "mmap: %s", errname(errno));
		return summary();
	}
	if (as_mib > 0)
		note("the hog's address space is capped at %ld MiB (RLIMIT_AS); -unlimited to exhaust memory", as_mib);
	else
		note("no RLIMIT_AS: the hog runs until the kernel refuses memory or kills it");
	pid_t pid = t_fork();
	if (pid == 0) {
		hog(p, as_mib, chunk_mib);
		_exit(p->mmap_err == ENOMEM ? 0 : 1);
	}
	int st = waitchild(pid);
	printf("oomhog: the hog got %ld MiB; %s\n", p->mib, wstatus(st));
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		ok("hog.killed");
	else if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && p->mmap_err == ENOMEM)
		ok("hog.enomem");
	else
		fail("hog.ended", "%s (mmap error %s), want ENOMEM or SIGKILL", wstatus(st), errname(p->mmap_err));
	check(p->mib > 0, "hog.progress", "the hog got no memory at all");
	check(anon_ok(16), "memory.back", "16 MiB after the hog: %s", errname(errno));
	return summary();
}
