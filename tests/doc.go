// Package tests boots the retract kernel under QEMU and checks it from the
// host: the in-kernel test suites (their KTAP output becomes Go subtests,
// parsed by retract/tests/ktap), the kernel command line, the shell on the
// serial console and the oops report.
//
// Run everything, or one test:
//
//	go test -v -timeout 40m ./tests/
//	go test ./tests/ -run TestShell -v
//	go test ./tests/ -run 'TestSuites/boot' -v   # one suite's results
//
// The kernel is built once per run with `make -C <repo> kernel`
// (build/kernel.elf), by the first test that boots it. QEMU
// (qemu-system-x86_64) must be installed: without it the boot tests fail
// and say how to install it. Each boot's whole serial log is written to
// build/test-logs/<TestName>.log; a failure quotes the end of it and names
// the file.
//
// Environment:
//
//	ACCEL                  accelerator: auto (default: KVM if it really works, else TCG), kvm or tcg
//	MACHINE                QEMU machine: microvm (default) or q35
//	RETRACT_KERNEL         boot this ELF instead of building one (relative paths: from the repo root)
//	RETRACT_TIMEOUT_SCALE  multiply every timeout (default 1; e.g. 3 on a slow, busy machine)
//	RETRACT_SEED           TestRetract's seed (default: new every run; the log names it)
//	FORK_SEED              TestFork's seed (likewise)
//
// Timeouts assume TCG on two noisy cores (5 minutes per boot), so pass go
// test a -timeout that covers all boots (go test's default is 10 minutes
// for the whole package); a boot's timeout is cut short before go test's
// deadline so that the failure still shows the serial log.
package tests
