// Package selftest owns Linux's own khugepaged selftest as a peer test:
// getting its source, building it, and reading its output.
//
//   - [EnsureSource] makes sure Debian's linux-source-6.1 package is
//     installed (it puts /usr/src/linux-source-6.1.tar.xz there; apt-get
//     install when root, otherwise it prints the command), and [Extract]
//     takes out only what the test needs — in 6.1 the directory is
//     tools/testing/selftests/vm (not selftests/mm): khugepaged.c,
//     vm_util.c and vm_util.h, ../kselftest.h, and the kernel's
//     include/uapi/linux/magic.h (TMPFS_MAGIC) — into build/selftests/src.
//     Nothing of Linux's source is ever written into the repository.
//   - [Build] compiles it with gcc -static (installing gcc when root and
//     missing) into build/selftests/khugepaged, a binary that runs on
//     Linux and on retract.
//   - [Parse] turns the test's output into cases and steps; [Report.Table]
//     prints them, [Compare] puts several kernels' runs side by side. See
//     parse.go for the output format of the 6.1 test.
package selftest
