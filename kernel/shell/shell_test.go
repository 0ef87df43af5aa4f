package shell

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
)

func testCommands() []Command {
	return []Command{
		{Name: "echo", Usage: "echo WORD...", Help: "print the words", Run: func(sh *Shell, args []string) error {
			sh.Printf("%s\n", strings.Join(args, " "))
			return nil
		}},
		{Name: "fail", Help: "always fails", Run: func(sh *Shell, args []string) error {
			return errors.New("it broke")
		}},
		{Name: "crash", Help: "panics", Run: func(sh *Shell, args []string) error {
			var m map[string]int
			m["x"] = 1
			return nil
		}},
		{Name: "exit", Help: "leave the shell", Run: func(sh *Shell, args []string) error { return ErrExit }},
		{Name: "dis", Usage: "ADDR|SYMBOL", Help: "disassemble", Run: func(sh *Shell, args []string) error { return nil }},
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

func runShell(t *testing.T, input string, chunk int) string {
	t.Helper()
	var out bytes.Buffer
	sh := New(chunkReader{strings.NewReader(input), chunk}, &out, testCommands())
	if err := sh.Run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String()
}

func TestShellSession(t *testing.T) {
	in := "echo hi  there\r\n" + "nosuch 1\r" + "fail\r" + "crash\r" + `echo "a  b" c` + "\r" + "echo \"x\r" + "abc\x03" + "\r"
	want := "retract> echo hi  there\r\nhi there\n" +
		"retract> nosuch 1\r\nunknown command \"nosuch\"; type help\n" +
		"retract> fail\r\nfail: it broke\n" +
		"retract> crash\r\ncrash: panic: assignment to entry in nil map\n" +
		"retract> echo \"a  b\" c\r\na  b c\n" +
		"retract> echo \"x\r\nsyntax error: unterminated quote\n" +
		"retract> abc^C\r\n" +
		"retract> \r\n" +
		"retract> "
	for _, chunk := range []int{1, 3, 64} {
		if got := runShell(t, in, chunk); got != want {
			t.Errorf("chunk %d: output\n%q\nwant\n%q", chunk, got, want)
		}
	}
}

// A refused line is reported and not run; the shell goes on.
func TestShellRefusedLines(t *testing.T) {
	in := "echo h\xc3\xa9llo\r" + "echo " + strings.Repeat("a", MaxLine) + "\r" + "echo ok\r"
	out := runShell(t, in, 7)
	for _, want := range []string{
		"\r\nnon-ASCII byte 0xc3: the shell takes ASCII only; line not run\nretract> ",
		"\a\r\nline too long (max 256 bytes); not run\nretract> ",
		"echo ok\r\nok\nretract> ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	if strings.Contains(out, "\nhllo\n") || strings.Contains(out, "\n"+strings.Repeat("a", MaxLine-5)) {
		t.Errorf("a refused line ran:\n%q", out)
	}
}

// An error that already names the command is not prefixed twice.
func TestExecPrefix(t *testing.T) {
	var out bytes.Buffer
	sh := New(strings.NewReader(""), &out, []Command{
		{Name: "mm", Run: func(*Shell, []string) error { return errors.New("mm: too many address spaces") }},
		{Name: "stress", Run: func(*Shell, []string) error { return errors.New("stress: at most 500 workers") }},
		{Name: "fault", Run: func(*Shell, []string) error { return errors.New("mm: bad address (EFAULT)") }},
		{Name: "m", Run: func(*Shell, []string) error { return errors.New("mm: x") }},
	})
	for _, line := range []string{"mm", "stress", "fault", "m"} {
		sh.Exec(line)
	}
	want := "mm: too many address spaces\n" +
		"stress: at most 500 workers\n" +
		"fault: mm: bad address (EFAULT)\n" +
		"m: mm: x\n"
	if out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}
}

func TestShellExitStopsReading(t *testing.T) {
	r := strings.NewReader("exit\recho no\r")
	var out bytes.Buffer
	if err := New(r, &out, testCommands()).Run(); err != nil {
		t.Fatal(err)
	}
	if want := "retract> exit\r\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

type errReader struct{}

func (errReader) Read(p []byte) (int, error) { return 0, errors.New("uart gone") }

func TestShellReadError(t *testing.T) {
	err := New(errReader{}, io.Discard, nil).Run()
	if err == nil || err.Error() != "uart gone" {
		t.Errorf("Run() = %v, want uart gone", err)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	sh := New(strings.NewReader(""), &out, testCommands())
	if err := sh.Exec("help"); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"  crash             panics\n" +
		"  dis ADDR|SYMBOL   disassemble\n" +
		"  echo WORD...      print the words\n" +
		"  exit              leave the shell\n" +
		"  fail              always fails\n" +
		"  help [COMMAND]    list commands, or describe one\n"
	if out.String() != want {
		t.Errorf("help:\n%s\nwant:\n%s", out.String(), want)
	}

	out.Reset()
	if err := sh.Exec("help dis"); err != nil {
		t.Fatal(err)
	}
	if want := "  dis ADDR|SYMBOL   disassemble\n"; out.String() != want {
		t.Errorf("help dis: %q, want %q", out.String(), want)
	}
	out.Reset()
	long := New(strings.NewReader(""), &out, []Command{
		{Name: "mm", Usage: "mm [new | map ID ADDR PAGES r|rw | mapfile ID ADDR PAGES | advise ID ADDR PAGES huge|nohuge | destroy ID]",
			Help: "list address spaces and their VMAs, or make and change one (mapfile: the shared demo file)", Run: testCommands()[0].Run},
		{Name: "pt", Usage: "pt walk ID ADDR", Help: "walk the page tables of ADDR level by level, or list the mapped pages, and more words to wrap", Run: testCommands()[0].Run},
	})
	if err := long.Exec("help"); err != nil {
		t.Fatal(err)
	}
	want = "" +
		"  help [COMMAND]    list commands, or describe one\n" +
		"  mm [new | map ID ADDR PAGES r|rw | mapfile ID ADDR PAGES | advise ID ADDR\n" +
		"    PAGES huge|nohuge | destroy ID]\n" +
		"                    list address spaces and their VMAs, or make and change one\n" +
		"                    (mapfile: the shared demo file)\n" +
		"  pt walk ID ADDR   walk the page tables of ADDR level by level, or list the\n" +
		"                    mapped pages, and more words to wrap\n"
	if out.String() != want {
		t.Errorf("help with long lines:\n%s\nwant:\n%s", out.String(), want)
	}
	for _, l := range strings.Split(out.String(), "\n") {
		if len(l) > 80 {
			t.Errorf("help line of %d columns: %q", len(l), l)
		}
	}

	out.Reset()
	if err := sh.Exec("help nope"); err == nil || out.String() != "help: unknown command \"nope\"\n" {
		t.Errorf("help nope: err %v, output %q", err, out.String())
	}
}

func TestExecErrors(t *testing.T) {
	var out bytes.Buffer
	sh := New(strings.NewReader(""), &out, testCommands())
	if err := sh.Exec("exit"); !errors.Is(err, ErrExit) || out.Len() != 0 {
		t.Errorf("exit: %v, output %q", err, out.String())
	}
	if err := sh.Exec("crash now"); err == nil || err.Error() != "panic: assignment to entry in nil map" {
		t.Errorf("crash: %v", err)
	}
	if err := sh.Exec("   "); err != nil {
		t.Errorf("blank line: %v", err)
	}
}

func TestNewPanics(t *testing.T) {
	run := func(*Shell, []string) error { return nil }
	for _, cmds := range [][]Command{
		{{Name: "help", Run: run}},
		{{Name: "a", Run: run}, {Name: "a", Run: run}},
		{{Name: "", Run: run}},
		{{Name: "a"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%v) did not panic", cmds)
				}
			}()
			New(nil, io.Discard, cmds)
		}()
	}
}

func TestGarbageFlood(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	garbage := make([]byte, 1<<20)
	rng.Read(garbage)
	input := string(garbage) + "\x15echo ok\r"
	var out bytes.Buffer
	sh := New(strings.NewReader(input), &out, testCommands())
	if err := sh.Run(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "; type help\n"); n < 50 {
		t.Errorf("only %d unknown-command lines: the flood did not reach the dispatcher", n)
	}
	if n := strings.Count(out.String(), "; line not run\n"); n < 1000 {
		t.Errorf("only %d lines refused for non-ASCII bytes: the flood did not reach the editor", n)
	}
	if !strings.HasSuffix(out.String(), "echo ok\r\nok\nretract> ") {
		tail := out.String()
		if len(tail) > 200 {
			tail = tail[len(tail)-200:]
		}
		t.Errorf("output does not end with the echo of ok: ...%q", tail)
	}
}

// TestInterrupt: Ctrl-C typed while a command runs (counted by the console
// and queued in the input) stops the command, which polls Interrupted,
// and is not fed to the line editor afterwards (no "^C", no lost line). A
// Ctrl-C typed at the prompt still discards the line.
func TestInterrupt(t *testing.T) {
	var typed uint64 // the console's count of Ctrl-C keys
	var sawStop []bool
	cmds := append(testCommands(), Command{Name: "long", Help: "runs until Ctrl-C", Run: func(sh *Shell, args []string) error {
		sawStop = append(sawStop, sh.Interrupted())
		typed++ // the key arrives while the command runs
		sawStop = append(sawStop, sh.Interrupted())
		sh.Printf("interrupted\n")
		return nil
	}})
	for _, chunk := range []int{1, 3, 64} {
		typed, sawStop = 0, nil
		var out bytes.Buffer
		in := "long\r" + "\x03" + "echo after\r" + "abc\x03\r"
		sh := New(chunkReader{strings.NewReader(in), chunk}, &out, cmds)
		sh.SetInterrupts(func() uint64 { return typed })
		if err := sh.Run(); err != nil {
			t.Fatal(err)
		}
		want := "retract> long\r\ninterrupted\n" +
			"retract> echo after\r\nafter\n" +
			"retract> abc^C\r\n" +
			"retract> \r\n" +
			"retract> "
		if got := out.String(); got != want {
			t.Errorf("chunk %d: output\n%q\nwant\n%q", chunk, got, want)
		}
		if len(sawStop) != 2 || sawStop[0] || !sawStop[1] {
			t.Errorf("chunk %d: Interrupted() before and after the key: %v, want [false true]", chunk, sawStop)
		}
	}
}
