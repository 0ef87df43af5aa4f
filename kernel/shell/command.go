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

// helpCommand is the built-in help.
func helpCommand() Command {
	return Command{
		Name:  "help",
		Usage: "help [COMMAND]",
		Help:  "list commands, or describe one",
		Run: func(sh *Shell, args []string) error {
			switch len(args) {
			case 0:
				width := 0
				for _, name := range sh.names {
					width = max(width, len(sh.cmds[name].usage()))
				}
				for _, name := range sh.names {
					c := sh.cmds[name]
					sh.Printf("  %-*s   %s\n", width, c.usage(), c.Help)
				}
			case 1:
				c, ok := sh.cmds[args[0]]
				if !ok {
					return fmt.Errorf("unknown command %q", args[0])
				}
				sh.Printf("  %s   %s\n", c.usage(), c.Help)
			default:
				return fmt.Errorf("usage: help [COMMAND]")
			}
			return nil
		},
	}
}
