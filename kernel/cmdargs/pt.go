// pt.go: pt walk ID ADDR | pt dump ID [START END], fault ID ADDR [r|w],
// collapse ID ADDR.

package cmdargs

import (
	"errors"
	"fmt"
	"retract/mm/phys"

	"retract/mm"
)

// PTUsage is the pt command's usage.
const PTUsage = "pt walk ID ADDR | pt dump ID [START END]"

// PT is a parsed pt command.
type PT struct {
	Dump bool
	ID   uint32
	Addr uintptr // walk: the user address to walk
	// dump: the range [Start, End) of user space to list (the whole user
	// range when not given)
	Start, End uintptr
}

// ParsePT parses the words after "pt".
func ParsePT(args []string) (PT, error) {
	usage := errors.New("usage: " + PTUsage)
	if len(args) == 0 {
		return PT{}, usage
	}
	switch args[0] {
	case "walk":
		if len(args) != 3 {
			return PT{}, usage
		}
		id, err := parseID(args[1])
		if err != nil {
			return PT{}, err
		}
		a, err := parseUserAddr(args[2])
		if err != nil {
			return PT{}, err
		}
		return PT{ID: id, Addr: a}, nil
	case "dump":
		if len(args) != 2 && len(args) != 4 {
			return PT{}, usage
		}
		id, err := parseID(args[1])
		if err != nil {
			return PT{}, err
		}
		r := PT{Dump: true, ID: id, Start: mm.UserBase, End: mm.UserEnd}
		if len(args) == 4 {
			if r.Start, err = parseUserAddr(args[2]); err != nil {
				return PT{}, err
			}
			end, ok := parseHex(args[3])
			if !ok {
				return PT{}, fmt.Errorf("%q is not a hex address", args[3])
			}
			if end <= uint64(r.Start) || end > uint64(mm.UserEnd) {
				return PT{}, fmt.Errorf("END must be above START and at most the end of user space %#x", mm.UserEnd)
			}
			r.End = uintptr(end)
		}
		return r, nil
	}
	return PT{}, usage
}

// Args returns the canonical words of r.
func (r PT) Args() []string {
	if r.Dump {
		return []string{"dump", fmt.Sprint(r.ID), hex(r.Start), hex(r.End)}
	}
	return []string{"walk", fmt.Sprint(r.ID), hex(r.Addr)}
}

// FaultUsage is the fault command's usage.
const FaultUsage = "fault ID ADDR [r|w] [PAGES]"

// Fault is a parsed fault command: an 8-byte read or write at Addr, or
// at the same offset of each of Pages pages from Addr on.
type Fault struct {
	ID    uint32
	Addr  uintptr // a user address, 8-byte aligned
	Write bool
	Pages int // 1, or the pages of a run (fault ID ADDR r|w PAGES)
}

// ParseFault parses the words after "fault".
func ParseFault(args []string) (Fault, error) {
	if len(args) < 2 || len(args) > 4 {
		return Fault{}, errors.New("usage: " + FaultUsage)
	}
	id, err := parseID(args[0])
	if err != nil {
		return Fault{}, err
	}
	a, err := parseUserAddr(args[1])
	if err != nil {
		return Fault{}, err
	}
	if a&7 != 0 {
		return Fault{}, fmt.Errorf("ADDR must be 8-byte aligned (fault reads or writes 8 bytes): %#x", a)
	}
	r := Fault{ID: id, Addr: a, Pages: 1}
	if len(args) == 4 {
		if _, n, err := parseRange(hex(a&^(phys.PageSize-1)), args[3], MaxMapPages, ""); err != nil {
			return Fault{}, err
		} else {
			r.Pages = n
		}
	}
	if len(args) >= 3 {
		switch args[2] {
		case "r":
		case "w":
			r.Write = true
		default:
			return Fault{}, fmt.Errorf("access %q: want r or w", args[2])
		}
	}
	return r, nil
}

// Args returns the canonical words of r.
func (r Fault) Args() []string {
	acc := "r"
	if r.Write {
		acc = "w"
	}
	if r.Pages > 1 {
		return []string{fmt.Sprint(r.ID), hex(r.Addr), acc, fmt.Sprint(r.Pages)}
	}
	return []string{fmt.Sprint(r.ID), hex(r.Addr), acc}
}

// CollapseUsage is the collapse command's usage.
const CollapseUsage = "collapse ID ADDR"

// Collapse is a parsed collapse command: the 2 MiB that contains Addr.
type Collapse struct {
	ID   uint32
	Addr uintptr // 2 MiB aligned
}

// ParseCollapse parses the words after "collapse". ADDR may be anywhere
// in the 2 MiB to collapse (the command says which 2 MiB it took).
func ParseCollapse(args []string) (Collapse, error) {
	if len(args) != 2 {
		return Collapse{}, errors.New("usage: " + CollapseUsage)
	}
	id, err := parseID(args[0])
	if err != nil {
		return Collapse{}, err
	}
	a, err := parseUserAddr(args[1])
	if err != nil {
		return Collapse{}, err
	}
	h := a &^ (mm.HPageSize - 1)
	if h < mm.UserBase || h+mm.HPageSize > mm.UserEnd {
		return Collapse{}, fmt.Errorf("the 2 MiB page [%#x, %#x) around %#x is not all inside user space [%#x, %#x)", h, h+mm.HPageSize, a, mm.UserBase, mm.UserEnd)
	}
	return Collapse{ID: id, Addr: h}, nil
}

// Args returns the canonical words of r.
func (r Collapse) Args() []string { return []string{fmt.Sprint(r.ID), hex(r.Addr)} }
