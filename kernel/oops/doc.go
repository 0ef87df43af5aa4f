// Package oops owns what the kernel needs to explain a crash: a symbol
// table of its own text, built from the Go runtime's function table, and an
// x86-64 disassembler front end for crash reports and the shell's dis
// command.
package oops
