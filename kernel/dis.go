// dis.go: the dis command — disassemble kernel code.

package main

import (
	"fmt"
	"strconv"
	"strings"

	"retract/boot"
	"retract/kernel/oops"
	"retract/kernel/shell"
)

func cmdDis(sh *shell.Shell, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: dis ADDR|SYMBOL [N]")
	}
	n := 16
	if len(args) == 2 {
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 1 || v > 1000 {
			return fmt.Errorf("N must be a number from 1 to 1000, not %q", args[1])
		}
		n = v
	}
	syms := oops.Symbols()
	var addr uint64
	if v, err := strconv.ParseUint(strings.TrimPrefix(args[0], "0x"), 16, 64); err == nil && (strings.HasPrefix(args[0], "0x") || syms == nil) {
		addr = v
	} else if a, ok := syms.Addr(args[0]); ok {
		addr = uint64(a)
	} else {
		return fmt.Errorf("%q is neither a hex address (0x...) nor a kernel symbol", args[0])
	}
	lo, hi := boot.Image.TextStart, boot.Image.TextEnd
	if addr < lo || addr >= hi {
		return fmt.Errorf("%#x is not in the kernel text [%#x, %#x)", addr, lo, hi)
	}
	end := addr + uint64(n)*15
	if end > hi {
		end = hi
	}
	code := make([]byte, end-addr)
	if err := oops.ReadText(addr, code); err != nil {
		return err
	}
	if name, off, ok := syms.Lookup(uintptr(addr)); ok {
		sh.Printf("%s+%#x:\n", name, off)
	}
	return oops.Disassemble(sh.Out(), code, addr, ^uint64(0), n, oops.SymFunc)
}
