// Package shell owns the serial console shell: a line editor for a raw
// terminal, a tokenizer, and a dispatcher for the commands other packages
// supply. It talks only through the io.Reader and io.Writer it is given.
//
// Commands run in the goroutine that reads the input, so nothing is read
// while one runs; Ctrl-C reaches a long command through SetInterrupts and
// Interrupted (the console counts the key as it arrives).
//
// The shell writes "\n" line ends and leaves newline translation to the
// console driver (kernel/console turns "\n" into "\r\n"); only the echo of
// Enter is spelled "\r\n", as a raw terminal needs.
package shell

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Prompt is printed before each line is read.
const Prompt = "retract> "

// ErrExit, returned by a command, ends Shell.Run.
var ErrExit = errors.New("exit")

// readChunk is the size of each read from the input.
const readChunk = 64

// Shell is a command interpreter on a terminal.
type Shell struct {
	in    io.Reader
	out   io.Writer
	cmds  map[string]*Command
	names []string // sorted
	echo  bytes.Buffer
	ed    *LineEditor

	// Ctrl-C: intr counts the keys typed so far (SetInterrupts); intrBase
	// is its value when the running command started; skipIntr counts the
	// Ctrl-C bytes, still in the input, that were meant for a command and
	// must not reach the line editor.
	intr     func() uint64
	intrBase uint64
	skipIntr uint64
}

// New returns a shell reading from in and writing to out, knowing cmds and
// the built-in help. It panics on an empty or duplicate command name
// (including "help") or a command without Run.
func New(in io.Reader, out io.Writer, cmds []Command) *Shell {
	sh := &Shell{in: in, out: out, cmds: make(map[string]*Command)}
	sh.ed = NewLineEditor(&sh.echo)
	for _, c := range append([]Command{helpCommand()}, cmds...) {
		switch {
		case c.Name == "":
			panic("shell: command with empty name")
		case sh.cmds[c.Name] != nil:
			panic(fmt.Sprintf("shell: duplicate command %q", c.Name))
		case c.Run == nil:
			panic(fmt.Sprintf("shell: command %q has no Run", c.Name))
		}
		sh.cmds[c.Name] = &c
		sh.names = append(sh.names, c.Name)
	}
	slices.Sort(sh.names)
	return sh
}

// SetInterrupts tells the shell how many Ctrl-C keys have been typed so
// far. The console counts them as they arrive (kernel/console), while a
// command runs and the shell reads nothing; long commands poll
// Interrupted and stop. The shell then drops those Ctrl-C bytes from its
// input, so that they do not also discard the next line.
func (sh *Shell) SetInterrupts(count func() uint64) { sh.intr = count }

// InterruptsUsed tells the shell that the Ctrl-C keys typed so far during
// the running command went elsewhere (a foreground program's terminal got
// them as SIGINT), so their bytes are not in the shell's input to drop.
func (sh *Shell) InterruptsUsed() {
	if sh.intr != nil {
		sh.intrBase = sh.intr()
	}
}

// Interrupted reports whether Ctrl-C was typed since the running command
// started.
func (sh *Shell) Interrupted() bool { return sh.intr != nil && sh.intr() != sh.intrBase }

// Out returns the writer commands print on.
func (sh *Shell) Out() io.Writer { return sh.out }

// Printf prints on the shell's output.
func (sh *Shell) Printf(format string, args ...any) {
	fmt.Fprintf(sh.out, format, args...)
}

// Run reads and executes lines until the input ends (io.EOF) or a command
// returns ErrExit; both return nil. Any other read error is returned.
func (sh *Shell) Run() error {
	var buf [readChunk]byte
	sh.Printf("%s", Prompt)
	for {
		n, err := sh.in.Read(buf[:])
		for _, b := range buf[:n] {
			if b == ctrlC && sh.skipIntr > 0 {
				sh.skipIntr-- // it stopped a command already
				continue
			}
			line, done, lineErr := sh.ed.Feed(b)
			if !done {
				continue
			}
			sh.flushEcho()
			if lineErr != nil {
				sh.Printf("%v\n", lineErr)
			} else if errors.Is(sh.Exec(line), ErrExit) {
				return nil
			}
			sh.Printf("%s", Prompt)
		}
		sh.flushEcho()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (sh *Shell) flushEcho() {
	if sh.echo.Len() > 0 {
		_, _ = sh.out.Write(sh.echo.Bytes())
		sh.echo.Reset()
	}
}

// Exec tokenizes one line and runs the command it names, printing any
// problem on the output: "unknown command ...", "NAME: ERROR" for a
// command's error, "NAME: panic: VALUE" for a command that panicked. An
// error whose text already starts with "NAME: " (the mm command passing on
// an error of package mm) is printed once, not as "NAME: NAME: ...". It
// returns that problem as an error (ErrExit passes through unprinted). An
// empty line does nothing.
func (sh *Shell) Exec(line string) error {
	args, err := tokenize(line)
	if err != nil {
		err = fmt.Errorf("syntax error: %w", err)
		sh.Printf("%v\n", err)
		return err
	}
	if len(args) == 0 {
		return nil
	}
	c, ok := sh.cmds[args[0]]
	if !ok {
		err := fmt.Errorf("unknown command %q; type help", args[0])
		sh.Printf("%v\n", err)
		return err
	}
	err = sh.call(c, args[1:])
	if err != nil && !errors.Is(err, ErrExit) {
		sh.Printf("%s\n", prefixed(c.Name, err))
	}
	return err
}

// prefixed returns "name: " and the text of err, unless that text already
// starts with "name: ".
func prefixed(name string, err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, name+": ") {
		return msg
	}
	return name + ": " + msg
}

// call runs c, turning a panic into an error so that the shell survives.
func (sh *Shell) call(c *Command, args []string) (err error) {
	if sh.intr != nil {
		sh.intrBase = sh.intr()
	}
	defer func() {
		if sh.intr != nil {
			sh.skipIntr += sh.intr() - sh.intrBase
			sh.intrBase = sh.intr()
		}
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return c.Run(sh, args)
}
