// mm.go: mm [new | map ID ADDR PAGES r|rw | mapfile ID ADDR PAGES |
// advise ID ADDR PAGES huge|nohuge | destroy ID].

package cmdargs

import (
	"errors"
	"fmt"

	"retract/mm/phys"
)

// MMOp is what an mm command does.
type MMOp int

// The mm subcommands.
const (
	MMList    MMOp = iota // mm: list address spaces
	MMNew                 // mm new
	MMMap                 // mm map ID ADDR PAGES r|rw: anonymous memory
	MMMapFile             // mm mapfile ID ADDR PAGES: the shared demo file, from offset 0
	MMAdvise              // mm advise ID ADDR PAGES huge|nohuge
	MMDestroy             // mm destroy ID
)

// MaxMapPages is the most pages mm map and mm advise take at once (4 GiB).
const MaxMapPages = 1 << 20

// MMUsage is the mm command's usage.
const MMUsage = "mm [new | map ID ADDR PAGES r|rw | mapfile ID ADDR PAGES | advise ID ADDR PAGES huge|nohuge | destroy ID]"

// MM is a parsed mm command.
type MM struct {
	Op    MMOp
	ID    uint32
	Addr  uintptr // page aligned; [Addr, Addr+Pages*4 KiB) is inside user space
	Pages int
	Write bool // map: rw
	Huge  bool // advise: huge (else nohuge)
}

// Size is the range's length in bytes.
func (r MM) Size() uintptr { return uintptr(r.Pages) * phys.PageSize }

// ParseMM parses the words after "mm". filePages is the demo file's size,
// the most pages mapfile maps.
func ParseMM(args []string, filePages int) (MM, error) {
	if len(args) == 0 {
		return MM{Op: MMList}, nil
	}
	var r MM
	var err error
	switch args[0] {
	case "new":
		if len(args) != 1 {
			return MM{}, errors.New("usage: mm new")
		}
		return MM{Op: MMNew}, nil
	case "map":
		if len(args) != 5 {
			return MM{}, errors.New("usage: mm map ID ADDR PAGES r|rw")
		}
		r.Op = MMMap
		switch args[4] {
		case "r":
		case "rw":
			r.Write = true
		default:
			return MM{}, fmt.Errorf("protection %q: want r or rw", args[4])
		}
		err = r.parseRange(args[1:4], MaxMapPages, "")
	case "mapfile":
		if len(args) != 4 {
			return MM{}, errors.New("usage: mm mapfile ID ADDR PAGES")
		}
		r.Op = MMMapFile
		err = r.parseRange(args[1:4], filePages, " (the demo file's size)")
	case "advise":
		if len(args) != 5 || args[4] != "huge" && args[4] != "nohuge" {
			return MM{}, errors.New("usage: mm advise ID ADDR PAGES huge|nohuge")
		}
		r.Op, r.Huge = MMAdvise, args[4] == "huge"
		err = r.parseRange(args[1:4], MaxMapPages, "")
	case "destroy":
		if len(args) != 2 {
			return MM{}, errors.New("usage: mm destroy ID")
		}
		r.Op = MMDestroy
		r.ID, err = parseID(args[1])
	default:
		return MM{}, fmt.Errorf("unknown subcommand %q: want new, map, mapfile, advise or destroy", args[0])
	}
	if err != nil {
		return MM{}, err
	}
	return r, nil
}

// parseRange parses "ID ADDR PAGES" into r.
func (r *MM) parseRange(args []string, maxPages int, why string) error {
	id, err := parseID(args[0])
	if err != nil {
		return err
	}
	a, n, err := parseRange(args[1], args[2], maxPages, why)
	if err != nil {
		return err
	}
	r.ID, r.Addr, r.Pages = id, a, n
	return nil
}

// Args returns the canonical words of r.
func (r MM) Args() []string {
	rng := []string{fmt.Sprint(r.ID), hex(r.Addr), fmt.Sprint(r.Pages)}
	switch r.Op {
	case MMNew:
		return []string{"new"}
	case MMMap:
		prot := "r"
		if r.Write {
			prot = "rw"
		}
		return append(append([]string{"map"}, rng...), prot)
	case MMMapFile:
		return append([]string{"mapfile"}, rng...)
	case MMAdvise:
		adv := "nohuge"
		if r.Huge {
			adv = "huge"
		}
		return append(append([]string{"advise"}, rng...), adv)
	case MMDestroy:
		return []string{"destroy", fmt.Sprint(r.ID)}
	}
	return nil
}
