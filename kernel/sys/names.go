// names.go: syscall names, for the "unimplemented syscall" message.

package sys

//go:generate sh -c "{ echo '// Code generated from asm/unistd_64.h (linux-libc-dev) by names.go'\"'\"'s go:generate line; DO NOT EDIT.'; echo; echo 'package sys'; echo; echo '// syscallNames maps Linux x86-64 syscall numbers to names, for messages.'; echo 'var syscallNames = [...]string{'; grep -E '^#define __NR_' /usr/include/x86_64-linux-gnu/asm/unistd_64.h | awk '{sub(\"__NR_\",\"\",$2); printf \"\\t%s: \\\"%s\\\",\\n\", $3, $2}'; echo '}'; } > names_table.go && gofmt -w names_table.go"

// Name returns the Linux name of syscall nr ("?" when unknown).
func Name(nr uint64) string {
	if nr < uint64(len(syscallNames)) && syscallNames[nr] != "" {
		return syscallNames[nr]
	}
	return "?"
}
