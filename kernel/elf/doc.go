// Package elf is the ELF side of execve for static Linux x86-64 programs:
// Parse checks an executable (ET_EXEC, or a static-PIE ET_DYN) the way
// Linux's load_elf_binary would and turns its PT_LOAD segments into a
// page-rounded mapping plan; NewStack lays out the new process's initial
// stack (argc, argv, envp, the auxiliary vector and the strings they point
// to) as Linux's create_elf_tables does. ParseShebang reads a "#!" line
// (binfmt_script).
//
// It owns no state and takes no locks: pure functions over an io.ReaderAt
// and byte slices. Every failure is an *Error that says why (the kernel
// prints "exec /bin/x: ENOEXEC: 32-bit ELF") and carries the errno execve
// returns.
//
// What is not supported: dynamically linked programs (PT_INTERP, or a
// PT_DYNAMIC with DT_NEEDED entries: an error that names the
// interpreter or library), 32-bit and foreign-machine ELF, more than 64
// program headers.
package elf
