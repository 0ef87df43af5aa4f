package shell

import (
	"fmt"
	"strings"
)

// Command is one shell command.
type Command struct {
	Name  string
	Usage string // e.g. "dis ADDR|SYMBOL"; the name alone if empty
	Help  string // one line
	// Run executes the command; args are the words after the command name.
	// Returning ErrExit ends Shell.Run; any other error is printed as
	// "NAME: ERROR".
	Run func(sh *Shell, args []string) error
}

// usage returns the usage column of help: Usage, prefixed with the name if
// it does not already start with it.
func (c *Command) usage() string {
	switch {
	case c.Usage == "":
		return c.Name
	case c.Usage == c.Name || strings.HasPrefix(c.Usage, c.Name+" "):
		return c.Usage
	}
	return c.Name + " " + c.Usage
}

// Help layout: lines fit in helpWidth columns. A usage of at most
// maxUsageColumn bytes shares its line with the help text, which starts in
// one column for all such commands; a longer usage gets lines of its own
// (wrapped at word boundaries) and the help text follows below it.
const (
	helpWidth      = 80
	maxUsageColumn = 28
)

// helpLines formats the help of cmds with the help text at column
// 2+width+3 and wraps everything at helpWidth columns.
func helpLines(cmds []*Command, width int) []string {
	col := strings.Repeat(" ", 2+width+3)
	var out []string
	for _, c := range cmds {
		u := c.usage()
		if len(u) <= width {
			first := "  " + u + strings.Repeat(" ", width-len(u)+3)
			out = append(out, wrap(c.Help, first, col)...)
			continue
		}
		out = append(out, wrap(u, "  ", "    ")...)
		out = append(out, wrap(c.Help, col, col)...)
	}
	return out
}

// wrap breaks text into lines of at most helpWidth columns at spaces: the
// first line starts with first, the others with rest. A word longer than
// a whole line gets a line of its own.
func wrap(text, first, rest string) []string {
	var out []string
	line, empty := first, true
	for _, w := range strings.Fields(text) {
		switch {
		case empty:
			line += w
		case len(line)+1+len(w) <= helpWidth:
			line += " " + w
		default:
			out = append(out, line)
			line = rest + w
		}
		empty = false
	}
	return append(out, strings.TrimRight(line, " "))
}

// helpCommand is the built-in help.
func helpCommand() Command {
	return Command{
		Name:  "help",
		Usage: "help [COMMAND]",
		Help:  "list commands, or describe one",
		Run: func(sh *Shell, args []string) error {
			var cmds []*Command
			switch len(args) {
			case 0:
				for _, name := range sh.names {
					cmds = append(cmds, sh.cmds[name])
				}
			case 1:
				c, ok := sh.cmds[args[0]]
				if !ok {
					return fmt.Errorf("unknown command %q", args[0])
				}
				cmds = []*Command{c}
			default:
				return fmt.Errorf("usage: help [COMMAND]")
			}
			width := 0
			for _, c := range cmds {
				if n := len(c.usage()); n <= maxUsageColumn {
					width = max(width, n)
				}
			}
			for _, l := range helpLines(cmds, width) {
				sh.Printf("%s\n", l)
			}
			return nil
		},
	}
}
