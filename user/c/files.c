/*
 * files: the file system calls, each with its errors.
 *
 * In a fresh directory under /tmp: openat with O_CREAT|O_EXCL (EEXIST the
 * second time), O_TRUNC, O_APPEND, O_DIRECTORY (ENOTDIR on a file),
 * O_CLOEXEC (FD_CLOEXEC set, and the fd is gone after execve of this
 * program); ENOENT, EISDIR; read/write/pread/pwrite/readv/writev (a
 * write and a read of 6 MiB in one call move all of it, as on Linux); lseek
 * (SET, CUR, END, past the end, ESPIPE on a pipe, EINVAL); fstat, stat,
 * lstat, statx; ftruncate; getdents64 through readdir and raw; mkdir
 * (EEXIST), rmdir (ENOTEMPTY, ENOTDIR), unlink (ENOENT, EISDIR), rename,
 * renameat2(RENAME_NOREPLACE) (EEXIST); symlink, readlink (EINVAL on a
 * file), readlink /proc/self/exe; dup, dup2, dup3 (EINVAL on the same fd),
 * fcntl (F_DUPFD_CLOEXEC, F_GETFL/F_SETFL O_NONBLOCK, EBADF); pipe2 (EAGAIN
 * when empty and non-blocking); poll and ppoll on a pipe; epoll on a pipe
 * (EEXIST on a second ADD); memfd_create + mmap, and 768 MiB of memfds
 * made, mapped, closed and unmapped one after the other (each one's pages
 * go with its last mapping); fallocate on a mapped memfd (PUNCH_HOLE frees
 * the pages and the mapping reads zeros, preallocation grows it, the
 * errors) and MADV_REMOVE; statfs on /tmp (prints the
 * file system); getcwd and chdir (ENOTDIR, ERANGE); access and faccessat;
 * isatty on stdin/stdout; socketpair(AF_UNIX) stream and seqpacket
 * across a fork (records keep their bounds, EOF and EPIPE when the peer
 * is gone, send/recv flags, the errors); /proc/self/stat, status, statm and the
 * thread's task/TID/stat, as ps and top read them (pid, comm, state).
 */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define EXT4_MAGIC 0xEF53
#define BTRFS_MAGIC 0x9123683E
#define OVERLAYFS_MAGIC 0x794c7630
#define XFS_MAGIC 0x58465342

static char dir[64] = "/tmp/files-XXXXXX";
static const char *self = "/proc/self/exe";

/* P: the path of name in the test directory (four buffers, used in turn). */
static const char *P(const char *name)
{
	static char buf[4][256];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof buf[0], "%s/%s", dir, name);
	return b;
}

static void test_open(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	check_sys(dfd, "open.directory");
	int fd = openat(dfd, "a", O_RDWR | O_CREAT | O_EXCL, 0644);
	check_sys(fd, "openat.creat.excl");
	check_err(openat(dfd, "a", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "openat.excl.eexist");
	check(write(fd, "hello world", 11) == 11, "write", "%s", errname(errno));
	close(fd);
	fd = openat(dfd, "a", O_RDWR | O_TRUNC);
	struct stat st;
	check(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "openat.trunc", "size %ld after O_TRUNC", (long)st.st_size);
	(void)!write(fd, "abc", 3);
	close(fd);
	fd = openat(dfd, "a", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	(void)!write(fd, "def", 3);
	close(fd);
	char buf[32] = {0};
	fd = openat(dfd, "a", O_RDONLY);
	long n = read(fd, buf, sizeof buf);
	check(n == 6 && memcmp(buf, "abcdef", 6) == 0, "openat.append", "read %ld bytes %.6s, want abcdef", n, buf);
	close(fd);
	check_err(openat(dfd, "a", O_RDONLY | O_DIRECTORY), ENOTDIR, "open.directory.enotdir");
	check_err(open(P("missing"), O_RDONLY), ENOENT, "open.enoent");
	check_err(open(P("missing/x"), O_RDONLY | O_CREAT, 0644), ENOENT, "open.creat.enoent");
	check_err(open(dir, O_WRONLY), EISDIR, "open.dir.wronly.eisdir");
	check_err(open(P("a/x"), O_RDONLY), ENOTDIR, "open.file.as.dir.enotdir");
	fd = openat(dfd, "a", O_RDONLY | O_CLOEXEC);
	int fl = fcntl(fd, F_GETFD);
	check(fl >= 0 && (fl & FD_CLOEXEC), "open.cloexec.flag", "F_GETFD %d", fl);
	/* after execve the fd is gone: "files fdcheck N" exits 0 when fd N is EBADF */
	char num[16];
	snprintf(num, sizeof num, "%d", fd);
	int plain = openat(dfd, "a", O_RDONLY);
	char num2[16];
	snprintf(num2, sizeof num2, "%d", plain);
	pid_t pid = t_fork();
	if (pid == 0) {
		char *argv[] = {"files", "fdcheck", num, num2, NULL};
		execv(self, argv);
		_exit(127);
	}
	int ws = waitchild(pid);
	check(ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "open.cloexec.exec",
	      "child %s (1: the O_CLOEXEC fd survived execve, 2: the plain fd did not, 127: exec failed)", wstatus(ws));
	close(fd);
	close(plain);
	close(dfd);
}

/* test_big_io: one write(2) or read(2) of many MiB moves all of it on a
 * regular file (Linux's limit is MAX_RW_COUNT, almost 2 GiB). */
static void test_big_io(void)
{
	const size_t n = 6 << 20;
	unsigned char *a = malloc(n), *b = malloc(n);
	int fd = open(P("big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (size_t i = 0; i < n; i++)
		a[i] = (unsigned char)(i * 7 + (i >> 12));
	check(write(fd, a, n) == (ssize_t)n, "write.6mib.whole", "%s", errname(errno));
	check(lseek(fd, 0, SEEK_END) == (off_t)n, "write.6mib.size", "size %ld", (long)lseek(fd, 0, SEEK_END));
	lseek(fd, 0, SEEK_SET);
	memset(b, 0, n);
	check(read(fd, b, n) == (ssize_t)n && memcmp(a, b, n) == 0, "read.6mib.whole", "%s", errname(errno));
	memset(b, 0, n);
	check(pread(fd, b, n - 5, 5) == (ssize_t)(n - 5) && memcmp(a + 5, b, n - 5) == 0, "pread.6mib.whole", "%s", errname(errno));
	check(pwrite(fd, a, n, 1) == (ssize_t)n && lseek(fd, 0, SEEK_END) == (off_t)n + 1, "pwrite.6mib.whole", "%s", errname(errno));
	close(fd);
	unlink(P("big"));
	free(a);
	free(b);
}

static void test_io(void)
{
	int fd = open(P("io"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[64];
	check(pwrite(fd, "0123456789", 10, 0) == 10, "pwrite", "%s", errname(errno));
	check(pread(fd, buf, 4, 3) == 4 && memcmp(buf, "3456", 4) == 0, "pread", "got %.4s", buf);
	check(lseek(fd, 0, SEEK_CUR) == 0, "pread.keeps.offset", "offset moved");
	struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
	check(writev(fd, iov, 3) == 6, "writev", "%s", errname(errno));
	char x[2], y[4];
	struct iovec rv[2] = {{x, 2}, {y, 4}};
	lseek(fd, 0, SEEK_SET);
	check(readv(fd, rv, 2) == 6 && memcmp(x, "ab", 2) == 0 && memcmp(y, "cdef", 4) == 0, "readv", "got %.2s %.4s", x, y);
	check(lseek(fd, 2, SEEK_CUR) == 8, "lseek.cur", "offset");
	check(lseek(fd, -1, SEEK_END) == 9, "lseek.end", "offset");
	check(read(fd, buf, sizeof buf) == 1 && buf[0] == '9', "read.at.end", "last byte");
	check(read(fd, buf, sizeof buf) == 0, "read.eof", "not 0 at the end");
	check(lseek(fd, 100, SEEK_SET) == 100 && write(fd, "z", 1) == 1, "lseek.past.end", "write after a hole");
	check(pread(fd, buf, 2, 50) == 2 && buf[0] == 0 && buf[1] == 0, "hole.reads.zero", "hole reads %d %d", buf[0], buf[1]);
	check_err(lseek(fd, -5, SEEK_SET), EINVAL, "lseek.negative.einval");
	check_err(lseek(fd, 0, 99), EINVAL, "lseek.whence.einval");
	int p[2];
	(void)!pipe(p);
	check_err(lseek(p[0], 0, SEEK_SET), ESPIPE, "lseek.pipe.espipe");
	close(p[0]), close(p[1]);

	test_big_io();

	struct stat st, st2, lst;
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 101 && st.st_nlink == 1 && (st.st_mode & 0777) == 0644,
	      "fstat", "mode %o size %ld nlink %ld", st.st_mode, (long)st.st_size, (long)st.st_nlink);
	check(stat(P("io"), &st2) == 0 && st2.st_ino == st.st_ino && st2.st_size == 101, "stat", "%s", errname(errno));
	check(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate.shrink", "size %ld", (long)st.st_size);
	check(ftruncate(fd, 8192) == 0 && fstat(fd, &st) == 0 && st.st_size == 8192, "ftruncate.grow", "size %ld",
	      (long)st.st_size);
	check_err(ftruncate(fd, -1), EINVAL, "ftruncate.negative.einval");
	/* statx, raw: musl before 1.2.5 has no wrapper */
	struct {
		uint32_t mask, blksize;
		uint64_t attributes;
		uint32_t nlink, uid, gid;
		uint16_t mode, pad;
		uint64_t ino, size, blocks, attributes_mask;
		char rest[256];
	} sx;
	memset(&sx, 0, sizeof sx);
	long r = syscall(SYS_statx, AT_FDCWD, P("io"), 0, 0x7ffU /* STATX_BASIC_STATS */, &sx);
	check(r == 0 && sx.size == 8192 && sx.ino == (uint64_t)st.st_ino && (sx.mode & 0170000) == 0100000, "statx",
	      "r %ld size %llu ino %llu mode %o", r, (unsigned long long)sx.size, (unsigned long long)sx.ino, sx.mode);
	check_err(stat(P("nope"), &st), ENOENT, "stat.enoent");
	check_err(fstat(999, &st), EBADF, "fstat.ebadf");
	check(symlink("io", P("link")) == 0, "symlink", "%s", errname(errno));
	check(lstat(P("link"), &lst) == 0 && S_ISLNK(lst.st_mode) && stat(P("link"), &st2) == 0 && S_ISREG(st2.st_mode),
	      "lstat", "lstat mode %o, stat mode %o", lst.st_mode, st2.st_mode);
	char target[64] = {0};
	long n = readlink(P("link"), target, sizeof target);
	check(n == 2 && memcmp(target, "io", 2) == 0, "readlink", "%ld %.*s", n, (int)(n > 0 ? n : 0), target);
	check_err(readlink(P("io"), target, sizeof target), EINVAL, "readlink.file.einval");
	check_err(symlink("io", P("link")), EEXIST, "symlink.eexist");
	char exe[256] = {0};
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0 && errno == ENOENT)
		skip("readlink.proc.self.exe", "no /proc");
	else
		check(n > 0 && exe[0] == '/', "readlink.proc.self.exe", "%ld %s", n, n > 0 ? exe : errname(errno));
	close(fd);
	check_err(read(fd, buf, 1), EBADF, "read.closed.ebadf");
	check_err(close(fd), EBADF, "close.ebadf");
}

static void test_dirs(void)
{
	check(mkdir(P("d"), 0755) == 0, "mkdir", "%s", errname(errno));
	check_err(mkdir(P("d"), 0755), EEXIST, "mkdir.eexist");
	check_err(mkdir(P("x/y"), 0755), ENOENT, "mkdir.enoent");
	const char *names[] = {"d/one", "d/two", "d/three"};
	for (int i = 0; i < 3; i++)
		close(open(P(names[i]), O_CREAT | O_WRONLY, 0644));
	DIR *d = opendir(P("d"));
	int seen = 0, dots = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			dots++;
		else if (!strcmp(e->d_name, "one") || !strcmp(e->d_name, "two") || !strcmp(e->d_name, "three"))
			seen++;
	}
	if (d)
		closedir(d);
	check(seen == 3 && dots == 2, "readdir", "%d of 3 names, %d of . and ..", seen, dots);
	/* raw getdents64 */
	int dfd = open(P("d"), O_RDONLY | O_DIRECTORY);
	char buf[4096];
	long n;
	int entries = 0;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			entries++;
			off += reclen;
		}
	}
	check(n == 0 && entries == 5, "getdents64", "%d entries (want 5), last %ld", entries, n);
	lseek(dfd, 0, SEEK_SET);
	check_err(syscall(SYS_getdents64, dfd, buf, 8), EINVAL, "getdents64.small.einval");
	close(dfd);
	int f = open(P("io"), O_RDONLY);
	check_err(syscall(SYS_getdents64, f, buf, sizeof buf), ENOTDIR, "getdents64.file.enotdir");
	close(f);

	check_err(rmdir(P("d")), ENOTEMPTY, "rmdir.enotempty");
	check_err(rmdir(P("io")), ENOTDIR, "rmdir.file.enotdir");
	check_err(unlink(P("d")), EISDIR, "unlink.dir.eisdir");
	check_err(unlink(P("d/none")), ENOENT, "unlink.enoent");
	check(rename(P("d/one"), P("d/uno")) == 0 && access(P("d/uno"), F_OK) == 0 && access(P("d/one"), F_OK) == -1,
	      "rename", "%s", errname(errno));
	check(rename(P("d/uno"), P("d/two")) == 0, "rename.replaces", "%s", errname(errno));
	char from[256];
	snprintf(from, sizeof from, "%s/d/two", dir);
	check_err(syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, P("d/three"), RENAME_NOREPLACE), EEXIST,
		  "renameat2.noreplace.eexist");
	check(syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, P("d/four"), RENAME_NOREPLACE) == 0, "renameat2.noreplace",
	      "%s", errname(errno));
	check(unlink(P("d/four")) == 0 && unlink(P("d/three")) == 0, "unlink", "%s", errname(errno));
	check(rmdir(P("d")) == 0, "rmdir", "%s", errname(errno));
}

static void test_fds(void)
{
	int fd = open(P("io"), O_RDONLY);
	int d1 = dup(fd);
	check(d1 > fd, "dup", "dup gave %d", d1);
	check(dup2(fd, 100) == 100 && fcntl(100, F_GETFD) == 0, "dup2", "%s", errname(errno));
	check(dup3(fd, 101, O_CLOEXEC) == 101 && fcntl(101, F_GETFD) == FD_CLOEXEC, "dup3.cloexec", "%s", errname(errno));
	check_err(dup3(fd, fd, 0), EINVAL, "dup3.same.einval");
	check(dup2(fd, fd) == fd, "dup2.same", "%s", errname(errno));
	check_err(dup(999), EBADF, "dup.ebadf");
	int c = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	check(c >= 200 && fcntl(c, F_GETFD) == FD_CLOEXEC, "fcntl.dupfd_cloexec", "%d", c);
	check_err(fcntl(999, F_GETFD), EBADF, "fcntl.ebadf");
	int p[2];
	check(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0 && fcntl(p[0], F_GETFD) == FD_CLOEXEC && (fcntl(p[0], F_GETFL) & O_NONBLOCK),
	      "pipe2.flags", "%s", errname(errno));
	char b;
	check_err(read(p[0], &b, 1), EAGAIN, "pipe.nonblock.eagain");
	int fl = fcntl(p[0], F_GETFL);
	check(fcntl(p[0], F_SETFL, fl & ~O_NONBLOCK) == 0 && !(fcntl(p[0], F_GETFL) & O_NONBLOCK), "fcntl.setfl", "%s",
	      errname(errno));
	/* poll, ppoll */
	struct pollfd pf = {p[0], POLLIN, 0};
	check(poll(&pf, 1, 0) == 0, "poll.empty", "ready without data");
	(void)!write(p[1], "x", 1);
	check(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN), "poll.ready", "revents %#x", pf.revents);
	struct timespec ts = {0, 1000000};
	pf.revents = 0;
	check(ppoll(&pf, 1, &ts, NULL) == 1 && (pf.revents & POLLIN), "ppoll.ready", "revents %#x", pf.revents);
	struct pollfd wp = {p[1], POLLOUT, 0};
	check(poll(&wp, 1, 0) == 1 && (wp.revents & POLLOUT), "poll.writable", "revents %#x", wp.revents);
	(void)!read(p[0], &b, 1);
	long t0 = 0;
	struct timespec a0, a1;
	clock_gettime(CLOCK_MONOTONIC, &a0);
	int r = poll(&pf, 1, 30);
	clock_gettime(CLOCK_MONOTONIC, &a1);
	t0 = (a1.tv_sec - a0.tv_sec) * 1000 + (a1.tv_nsec - a0.tv_nsec) / 1000000;
	check(r == 0 && t0 >= 25, "poll.timeout", "returned %d after %ld ms", r, t0);
	/* epoll */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
	check(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "epoll_ctl.add", "%s", errname(errno));
	check_err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST, "epoll_ctl.add.eexist");
	struct epoll_event out[4];
	check(epoll_wait(ep, out, 4, 0) == 0, "epoll_wait.empty", "ready without data");
	(void)!write(p[1], "y", 1);
	r = epoll_wait(ep, out, 4, 1000);
	check(r == 1 && out[0].data.u64 == 0x1234 && (out[0].events & EPOLLIN), "epoll_wait.ready", "%d events", r);
	check(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "epoll_ctl.del", "%s", errname(errno));
	check_err(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT, "epoll_ctl.del.enoent");
	check_err(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EPERM, "epoll_ctl.regular.eperm");
	close(ep);
	close(p[0]), close(p[1]), close(fd), close(d1), close(100), close(101), close(c);
}

static void test_memfd(void)
{
	int fd = (int)syscall(SYS_memfd_create, "files", 0);
	if (!check_sys(fd, "memfd_create"))
		return;
	check(ftruncate(fd, 8192) == 0, "memfd.ftruncate", "%s", errname(errno));
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fail("memfd.mmap", "%s", errname(errno));
		return;
	}
	strcpy(m + 4096, "through the mapping");
	char buf[32] = {0};
	check(pread(fd, buf, 19, 4096) == 19 && strcmp(buf, "through the mapping") == 0, "memfd.mmap.shared", "pread %s", buf);
	check(pwrite(fd, "back", 4, 0) == 4 && memcmp(m, "back", 4) == 0, "memfd.write.seen.in.mapping", "%.4s", m);
	munmap(m, 8192);
	close(fd);
}

/* blocks is st_blocks of fd (8 per 4 KiB page a tmpfs file holds), or -1. */
static long blocks(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (long)st.st_blocks : -1;
}

/*
 * fallocate on a memfd that is mapped shared: a hole from the middle of
 * page 1 to page 3 frees page 2 (pread and the mapping read zeros there,
 * the bytes around it stay, the size stays); MADV_REMOVE through the
 * mapping frees page 3; mode 0 grows the file with its pages; the errors
 * of a bad mode, length, descriptor and file.
 */
static void test_fallocate(void)
{
	enum { pg = 4096 };
	int fd = (int)syscall(SYS_memfd_create, "falloc", 0);
	if (!check_sys(fd, "memfd_create"))
		return;
	static char page[pg];
	memset(page, 'x', sizeof page);
	for (int i = 0; i < 4; i++)
		if (pwrite(fd, page, pg, (off_t)i * pg) != pg) {
			fail("fallocate.setup", "pwrite: %s", errname(errno));
			close(fd);
			return;
		}
	char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fail("fallocate.mmap", "%s", errname(errno));
		close(fd);
		return;
	}
	check(m[2 * pg] == 'x', "fallocate.mapped", "page 2 reads %#x", m[2 * pg]);
	long b0 = blocks(fd);
	check(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pg + 100, 2 * pg - 100) == 0, "fallocate.punch_hole",
	      "%s", errname(errno));
	long b1 = blocks(fd);
	check(b0 == 32 && b1 == 24, "fallocate.punch_hole.frees", "st_blocks %ld before, %ld after; want 32, 24", b0, b1);
	char buf[3 * pg];
	ssize_t r = pread(fd, buf, sizeof buf, 0);
	int zeros = 1;
	for (int i = pg + 100; i < 3 * pg; i++)
		zeros &= buf[i] == 0;
	check(r == (ssize_t)sizeof buf && buf[pg + 99] == 'x' && zeros && buf[0] == 'x', "fallocate.punch_hole.reads_zeros",
	      "read %zd: byte %d is %#x, the hole %s", r, pg + 99, buf[pg + 99], zeros ? "zero" : "not zero");
	check(m[pg + 99] == 'x' && m[pg + 100] == 0 && m[2 * pg] == 0 && m[2 * pg + pg - 1] == 0 && m[3 * pg] == 'x',
	      "fallocate.punch_hole.mapping", "the mapping reads %#x %#x %#x %#x around and in the hole", m[pg + 99],
	      m[pg + 100], m[2 * pg], m[3 * pg]);
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == 4 * pg, "fallocate.punch_hole.keeps_size", "size %ld", (long)st.st_size);
	long b2 = blocks(fd);
	check(madvise(m + 3 * pg, pg, MADV_REMOVE) == 0, "madvise.remove", "%s", errname(errno));
	long b3 = blocks(fd);
	check(b3 == b2 - 8 && pread(fd, buf, 8, 3 * pg) == 8 && buf[0] == 0, "madvise.remove.frees",
	      "st_blocks %ld before, %ld after; the page reads %#x", b2, b3, buf[0]);
	check(m[3 * pg] == 0, "madvise.remove.mapping", "the mapping reads %#x", m[3 * pg]);
	munmap(m, 4 * pg);
	check(fallocate(fd, 0, 4 * pg, 2 * pg) == 0 && fstat(fd, &st) == 0 && st.st_size == 6 * pg,
	      "fallocate.grows", "%s, size %ld", errname(errno), (long)st.st_size);
	long b4 = blocks(fd);
	check(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8 * pg) == 0 && fstat(fd, &st) == 0 && st.st_size == 6 * pg &&
		      blocks(fd) == b4 + 16,
	      "fallocate.keep_size", "%s, size %ld, st_blocks %ld then %ld", errname(errno), (long)st.st_size, b4, blocks(fd));
	check_err(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, pg), EOPNOTSUPP, "fallocate.punch_without_keep_size.eopnotsupp");
	check_err(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, pg), EOPNOTSUPP, "fallocate.zero_range.eopnotsupp");
	check_err(fallocate(fd, 0, 0, 0), EINVAL, "fallocate.zero_length.einval");
	check_err(fallocate(fd, 0, -1, pg), EINVAL, "fallocate.negative.einval");
	check_err(fallocate(-1, 0, 0, pg), EBADF, "fallocate.ebadf");
	int p[2];
	if (pipe(p) == 0) {
		check_err(fallocate(p[1], 0, 0, pg), ESPIPE, "fallocate.pipe.espipe");
		close(p[0]), close(p[1]);
	}
	int rfd = open(P("io"), O_RDONLY);
	check_err(fallocate(rfd, 0, 0, pg), EBADF, "fallocate.rdonly.ebadf");
	close(rfd);
	close(fd);
}

/*
 * A memfd's pages go with its last descriptor and mapping: 48 memfds of
 * 16 MiB each (768 MiB, more than the test machine has), each written,
 * mapped, closed and then unmapped, must all fit one after the other.
 */
static void test_memfd_release(void)
{
	enum { size = 16 << 20, rounds = 48 };
	static char chunk[1 << 20];
	memset(chunk, 0x5a, sizeof chunk);
	for (int i = 0; i < rounds; i++) {
		int fd = (int)syscall(SYS_memfd_create, "release", 0);
		if (fd < 0) {
			fail("memfd.release", "round %d: memfd_create: %s", i, errname(errno));
			return;
		}
		for (int off = 0; off < size; off += (int)sizeof chunk) {
			if (pwrite(fd, chunk, sizeof chunk, off) != (ssize_t)sizeof chunk) {
				fail("memfd.release", "round %d: pwrite at %d: %s (the pages of earlier memfds were not given back?)", i,
				     off, errname(errno));
				close(fd);
				return;
			}
		}
		char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd); /* the mapping keeps the pages until munmap */
		if (m == MAP_FAILED) {
			fail("memfd.release", "round %d: mmap: %s", i, errname(errno));
			return;
		}
		if (m[size - 1] != 0x5a) {
			fail("memfd.release", "round %d: the mapping reads %#x after close, want 0x5a", i, m[size - 1]);
			munmap(m, size);
			return;
		}
		munmap(m, size);
	}
	ok("memfd.release");
}

static void test_misc(void)
{
	struct statfs sf;
	if (check(statfs("/tmp", &sf) == 0, "statfs.tmp", "%s", errname(errno))) {
		unsigned long t = (unsigned long)sf.f_type;
		const char *name = t == TMPFS_MAGIC ? "tmpfs (TMPFS_MAGIC)" : t == RAMFS_MAGIC ? "ramfs" : t == EXT4_MAGIC ? "ext2/3/4"
			: t == BTRFS_MAGIC ? "btrfs" : t == OVERLAYFS_MAGIC ? "overlayfs" : t == XFS_MAGIC ? "xfs" : "other";
		note("/tmp is %s: f_type %#lx, block size %ld", name, t, (long)sf.f_bsize);
	}
	check_err(statfs("/nonexistent/x", &sf), ENOENT, "statfs.enoent");
	char cwd[256], back[256];
	check(getcwd(back, sizeof back) != NULL, "getcwd", "%s", errname(errno));
	check(chdir(dir) == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0, "chdir", "cwd %s, want %s", cwd, dir);
	check(access("io", R_OK | W_OK) == 0, "access.relative", "%s", errname(errno));
	check_err(chdir("io"), ENOTDIR, "chdir.enotdir");
	check_err(chdir("missing"), ENOENT, "chdir.enoent");
	char tiny[2];
	check(getcwd(tiny, sizeof tiny) == NULL && errno == ERANGE, "getcwd.erange", "%s", errname(errno));
	check(chdir(back) == 0, "chdir.back", "%s", errname(errno));
	check(access(P("io"), F_OK) == 0, "access.f_ok", "%s", errname(errno));
	check_err(access(P("missing"), F_OK), ENOENT, "access.enoent");
	check(faccessat(AT_FDCWD, P("io"), R_OK, 0) == 0, "faccessat", "%s", errname(errno));
	check_err(faccessat(AT_FDCWD, P("io/x"), R_OK, 0), ENOTDIR, "faccessat.enotdir");
	for (int fd = 0; fd < 2; fd++) {
		char name[32];
		snprintf(name, sizeof name, "isatty.%s", fd ? "stdout" : "stdin");
		errno = 0;
		int t = isatty(fd);
		int e = errno;
		struct termios tio;
		int tc = tcgetattr(fd, &tio) == 0;
		if (t)
			check(tc, name, "isatty says yes, TCGETS fails");
		else if (e == ENOTTY || e == EINVAL)
			skip(name, "fd %d is not a terminal (%s)", fd, errname(e));
		else
			fail(name, "isatty 0 with %s, want ENOTTY", errname(e));
	}
}

static void cleanup(void)
{
	unlink(P("a"));
	unlink(P("io"));
	unlink(P("link"));
	check(rmdir(dir) == 0, "cleanup", "rmdir %s: %s", dir, errname(errno));
}

static void test_socketpair(void)
{
	int sv[2];
	if (!check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair.stream", "%s", errname(errno)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char b[16] = {0};
		close(sv[0]);
		ssize_t n = read(sv[1], b, 5);
		(void)!write(sv[1], b, (size_t)n); /* echo */
		_exit(n == 5 ? 0 : 1);
	}
	close(sv[1]);
	char b[16] = {0};
	(void)!write(sv[0], "hello", 5);
	ssize_t n = recv(sv[0], b, sizeof b, MSG_WAITALL);
	check(n == 5 && memcmp(b, "hello", 5) == 0, "socketpair.echo", "%zd bytes: %.5s", n, b);
	n = read(sv[0], b, sizeof b);
	check(n == 0, "socketpair.eof", "read %zd after the peer exited", n);
	int st;
	waitpid(pid, &st, 0);
	check(send(sv[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "socketpair.epipe", "%s", errname(errno));
	close(sv[0]);

	if (check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == 0, "socketpair.seqpacket", "%s",
		  errname(errno))) {
		(void)!write(sv[0], "one", 3);
		(void)!write(sv[0], "two!", 4);
		int avail = -1;
		ioctl(sv[1], FIONREAD, &avail);
		n = read(sv[1], b, 2);
		ssize_t m = read(sv[1], b + 2, sizeof b - 2);
		check(avail == 7 && n == 2 && m == 4 && memcmp(b, "ontwo!", 6) == 0, "socketpair.records",
		      "FIONREAD %d, reads %zd and %zd: %.6s", avail, n, m, b);
		check(recv(sv[1], b, sizeof b, 0) == -1 && errno == EAGAIN, "socketpair.nonblock.eagain", "%s",
		      errname(errno));
		close(sv[0]), close(sv[1]);
	}
	check_err(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP, "socketpair.inet.eopnotsupp");
	check_err(send(0 + 100, "x", 1, 0), EBADF, "send.ebadf");
	int p[2];
	if (pipe(p) == 0) {
		check_err(send(p[1], "x", 1, 0), ENOTSOCK, "send.pipe.enotsock");
		close(p[0]), close(p[1]);
	}
}

/* slurp reads a whole file into buf (NUL-terminated); -1 on error. */
static long slurp(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long got = 0, r;
	while (got < (long)n - 1 && (r = read(fd, buf + got, n - 1 - (size_t)got)) > 0)
		got += r;
	close(fd);
	buf[got] = 0;
	return got;
}

static void test_proc_self(void)
{
	char buf[4096], want[64], path[64];
	if (access("/proc/self/stat", R_OK) != 0) {
		skip("proc.self.stat", "no /proc");
		return;
	}
	int pid = getpid();
	snprintf(want, sizeof want, "%d (", pid);
	long n = slurp("/proc/self/stat", buf, sizeof buf);
	char *rp = strrchr(buf, ')');
	check(n > 0 && strncmp(buf, want, strlen(want)) == 0 && rp && rp[1] == ' ' && strchr("RSD", rp[2]), "proc.self.stat",
	      "%ld bytes: %.60s", n, buf);
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", pid);
	n = slurp(path, buf, sizeof buf);
	check(n > 0 && strncmp(buf, want, strlen(want)) == 0, "proc.self.task.stat", "%ld bytes: %.60s", n, buf);
	snprintf(want, sizeof want, "\nPid:\t%d\n", pid);
	n = slurp("/proc/self/status", buf, sizeof buf);
	check(n > 0 && strstr(buf, want) && strstr(buf, "\nVmRSS:"), "proc.self.status", "%ld bytes", n);
	long size = 0, rss = 0;
	n = slurp("/proc/self/statm", buf, sizeof buf);
	check(n > 0 && sscanf(buf, "%ld %ld", &size, &rss) == 2 && size > 0 && rss > 0 && rss <= size, "proc.self.statm",
	      "%s", buf);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "fdcheck") == 0) {
		if (fcntl(atoi(argv[2]), F_GETFD) != -1 || errno != EBADF)
			return 1;
		return fcntl(atoi(argv[3]), F_GETFD) == -1 ? 2 : 0;
	}
	t_init();
	if (access(self, X_OK) != 0) /* no /proc: argv[0] if it is a path, else /bin */
		self = strchr(argv[0], '/') ? argv[0] : "/bin/files";
	if (!mkdtemp(dir)) {
		fail("mkdtemp", "%s: %s", dir, errname(errno));
		return summary();
	}
	test_open();
	test_io();
	test_dirs();
	test_fds();
	test_memfd();
	test_fallocate();
	test_memfd_release();
	test_misc();
	test_proc_self();
	test_socketpair();
	cleanup();
	return summary();
}
