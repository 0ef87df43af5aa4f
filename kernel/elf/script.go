// script.go: "#!" scripts (Linux's binfmt_script).

// trapctx: process context only

package elf

import "strings"

// ScriptLineMax is how much of a script's first line Linux reads
// (BINPRM_BUF_SIZE).
const ScriptLineMax = 256

// ParseShebang reads a "#!interpreter [argument]" first line from the
// file's first bytes: ok is false if head does not start with "#!".
// Like Linux, the argument is everything after the interpreter's name
// (spaces and tabs trimmed), one string; an empty interpreter, or a line
// longer than 256 bytes whose interpreter name is cut, is ENOEXEC.
func ParseShebang(head []byte) (interp, arg string, ok bool, err error) {
	if len(head) < 2 || head[0] != '#' || head[1] != '!' {
		return "", "", false, nil
	}
	if len(head) > ScriptLineMax {
		head = head[:ScriptLineMax]
	}
	line := string(head[2:])
	cut := false
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if len(head) == ScriptLineMax {
		cut = true
	}
	line = strings.Trim(line, " \t")
	if line == "" {
		return "", "", true, noexec("script with an empty #! line")
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		if cut {
			return "", "", true, noexec("script's #! interpreter name is longer than its line")
		}
		return line, "", true, nil
	}
	return line[:i], strings.Trim(line[i:], " \t"), true, nil
}
