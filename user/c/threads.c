/*
 * threads: POSIX threads and the system calls under them.
 *
 * N threads (default: CPUs, at least 4) increment a shared counter under a
 * pthread_mutex; pass a futex-based barrier (raw FUTEX_WAIT/FUTEX_WAKE)
 * several rounds, each checking that everyone arrived; thread-local
 * storage (__thread: initial value in every thread, private values, a
 * different address per thread); pthread_join returns each thread's
 * value; gettid differs per thread, getpid does not; a condition variable
 * ping-pong; a detached thread; futex errors (EAGAIN on a changed value,
 * ETIMEDOUT). A raw clone() with the flags glibc and musl use for threads
 * (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|
 * CHILD_CLEARTID): the parent tid is stored, the TLS pointer is the one
 * given, and the kernel clears the child tid and wakes its futex when
 * the thread exits. exit_group: a process whose main thread exits while
 * other threads block ends at once, and so does one whose non-main
 * thread calls _exit.
 */
#include "check.h"
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/* The futex barrier: a count and a generation. */
struct fbar {
	int count, n;
	volatile int gen;
};

static void fbar_wait(struct fbar *b)
{
	int gen = __atomic_load_n(&b->gen, __ATOMIC_SEQ_CST);
	if (__atomic_add_fetch(&b->count, 1, __ATOMIC_SEQ_CST) == b->n) {
		__atomic_store_n(&b->count, 0, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&b->gen, 1, __ATOMIC_SEQ_CST);
		futex(&b->gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
		return;
	}
	while (__atomic_load_n(&b->gen, __ATOMIC_SEQ_CST) == gen)
		futex(&b->gen, FUTEX_WAIT_PRIVATE, gen, NULL);
}

#define ROUNDS 20
#define INCS 100000
#define MAXT 64

static int nthreads;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static struct fbar bar;
static int arrived[ROUNDS];
static int barrier_bad;
static __thread int tv = 42;
static int *tv_addr[MAXT];
static pid_t tids[MAXT];
static int tls_bad;

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	if (tv != 42)
		__atomic_add_fetch(&tls_bad, 1, __ATOMIC_SEQ_CST);
	tv = 1000 + me;
	tv_addr[me] = &tv;
	tids[me] = (pid_t)syscall(SYS_gettid);
	for (int i = 0; i < INCS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	for (int r = 0; r < ROUNDS; r++) {
		__atomic_add_fetch(&arrived[r], 1, __ATOMIC_SEQ_CST);
		fbar_wait(&bar);
		if (__atomic_load_n(&arrived[r], __ATOMIC_SEQ_CST) != nthreads)
			__atomic_add_fetch(&barrier_bad, 1, __ATOMIC_SEQ_CST);
		sched_yield();
	}
	if (tv != 1000 + me)
		__atomic_add_fetch(&tls_bad, 1, __ATOMIC_SEQ_CST);
	return (void *)(intptr_t)(me * 3 + 1);
}

static void test_pthreads(void)
{
	pthread_t th[MAXT];
	bar.n = nthreads;
	int created = 0;
	for (int i = 0; i < nthreads; i++) {
		int e = pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
		if (e) {
			fail("pthread_create", "thread %d: %s", i, errname(e));
			break;
		}
		created++;
	}
	if (created != nthreads) {
		/* the others would wait at the barrier forever */
		printf("# cannot go on without all threads\n");
		exit(summary());
	}
	ok("pthread_create");
	int retbad = 0;
	for (int i = 0; i < nthreads; i++) {
		void *ret;
		int e = pthread_join(th[i], &ret);
		if (e || ret != (void *)(intptr_t)(i * 3 + 1))
			retbad++;
	}
	check(retbad == 0, "pthread_join.retval", "%d joins failed or returned the wrong value", retbad);
	check(counter == (long)nthreads * INCS, "mutex.counter", "counter %ld, want %ld", counter, (long)nthreads * INCS);
	check(barrier_bad == 0, "futex.barrier", "%d passes saw a round not everyone had reached", barrier_bad);
	check(tls_bad == 0 && tv == 42, "tls.values", "%d threads saw a wrong __thread value; main's is %d", tls_bad, tv);
	int dup = 0;
	for (int i = 0; i < nthreads; i++)
		for (int j = 0; j < i; j++)
			dup += tv_addr[i] == tv_addr[j] || tids[i] == tids[j];
	check(dup == 0 && tv_addr[0] != &tv, "tls.addresses.tids", "%d pairs of threads share a __thread address or a tid",
	      dup);
}

/* condvar ping-pong */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, pings;

static void *ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		while (turn != 1)
			pthread_cond_wait(&cv, &mu);
		pings++;
		turn = 0;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static volatile int detached_ran;
static void *detached(void *arg)
{
	(void)arg;
	__atomic_store_n(&detached_ran, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_misc(void)
{
	pthread_t t;
	pthread_create(&t, NULL, ponger, NULL);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		turn = 1;
		pthread_cond_signal(&cv);
		while (turn != 0)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	pthread_join(t, NULL);
	check(pings == 1000, "condvar.pingpong", "%d pongs, want 1000", pings);

	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&t, &a, detached, NULL);
	for (int i = 0; i < 2000 && !detached_ran; i++)
		usleep(1000);
	check(e == 0 && detached_ran, "pthread.detached", "create %s, ran %d", errname(e), detached_ran);

	volatile int word = 5;
	check_err(futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL), EAGAIN, "futex.wait.changed.eagain");
	struct timespec ts = {0, 20 * 1000 * 1000};
	check_err(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts), ETIMEDOUT, "futex.wait.timeout");
	check(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL) == 0, "futex.wake.none", "woke someone");
}

/* A raw clone, as a thread library makes one. The child runs no libc. */
static volatile pid_t ptid, ctid = -1, child_tid_seen;
static volatile uintptr_t child_fs;
static uintptr_t tls_block[64];

static long raw0(long n)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
	return r;
}

static int raw_child(void *arg)
{
	(void)arg;
	uintptr_t fs;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	child_fs = fs;
	child_tid_seen = (pid_t)raw0(SYS_gettid);
	return 0; /* the clone wrapper makes the exit system call */
}

static void test_raw_clone(void)
{
	size_t sz = 64 * 1024;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED) {
		fail("clone.thread", "mmap: %s", errname(errno));
		return;
	}
	tls_block[0] = (uintptr_t)tls_block; /* x86-64: the TCB points to itself */
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
		    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	int tid = clone(raw_child, stack + sz, flags, NULL, &ptid, tls_block, &ctid);
	if (tid == -1) {
		fail("clone.thread", "%s", errname(errno));
		return;
	}
	/* CHILD_CLEARTID: the kernel zeroes ctid and wakes it when the thread exits. */
	int v;
	for (int i = 0; (v = ctid) != 0 && i < 1000; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		futex(&ctid, FUTEX_WAIT, v, &ts); /* the kernel's wake is a shared one, as in pthread_join */
	}
	check(ptid == tid, "clone.parent_settid", "ptid %d, clone returned %d", ptid, tid);
	check(child_tid_seen == tid && tid != getpid(), "clone.thread.tid", "the thread saw tid %d, clone returned %d",
	      child_tid_seen, tid);
	check(child_fs == (uintptr_t)tls_block, "clone.settls", "%%fs:0 in the thread %#lx, want %#lx", (unsigned long)child_fs,
	      (unsigned long)(uintptr_t)tls_block);
	check(ctid == 0, "clone.child_cleartid", "ctid still %d after the thread exited", ctid);
	munmap(stack, sz);
}

static void *blocker(void *arg)
{
	volatile int w = 0;
	(void)arg;
	for (;;)
		futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL);
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	usleep(20000);
	_exit(6); /* exit_group from a thread that is not the main one */
}

/* wait for pid up to 5 s; kill it if it is still there. */
static int wait_bounded(pid_t pid)
{
	int st;
	for (int i = 0; i < 500; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitchild(pid);
	return -1;
}

static void test_exit_group(void)
{
	pid_t pid = t_fork();
	if (pid == 0) {
		pthread_t t;
		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, blocker, NULL);
		usleep(20000);
		exit(5);
	}
	int st = wait_bounded(pid);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5, "exit_group.main", "%s, want exited 5 with threads blocked",
	      st == -1 ? "still running after 5 s" : wstatus(st));
	pid = t_fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, blocker, NULL);
		pthread_create(&t, NULL, exiter, NULL);
		for (;;)
			pause();
	}
	st = wait_bounded(pid);
	check(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 6, "exit_group.thread", "%s, want exited 6",
	      st == -1 ? "still running after 5 s" : wstatus(st));
}

int main(int argc, char **argv)
{
	t_init();
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	nthreads = argc > 1 ? atoi(argv[1]) : (int)(n < 4 ? 4 : n);
	if (nthreads < 1 || nthreads > MAXT) {
		fprintf(stderr, "usage: threads [N (1..%d)]\n", MAXT);
		return 2;
	}
	note("%d threads", nthreads);
	test_pthreads();
	test_misc();
	test_raw_clone();
	test_exit_group();
	return summary();
}
