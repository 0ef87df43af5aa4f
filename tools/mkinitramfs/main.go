// Command mkinitramfs builds a newc initramfs from a spec given as flags:
// uncompressed, or gzip-compressed when the output's name ends in ".gz".
// The output is deterministic (see retract/tools/initramfs): the same
// inputs give the same bytes.
//
//	mkinitramfs -o build/initramfs.cpio \
//	    -add /bin/init=build/user/init -add /bin/mmbench=build/user/mmbench \
//	    -init /bin/init -cmd "mmbench -quick" -mkdir /proc -mkdir /tmp \
//	    -dir overlay/ -symlink /bin/sh=/bin/busybox
//
// -init /bin/prog makes /init — the program Linux runs from an initramfs
// — a symlink to /bin/prog (not a copy: the image holds one copy of the
// binary and shows which one is init). -cmd writes /etc/init.cmd, the
// command line retract's user/init runs when it is given none.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"retract/tools/initramfs"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, " ") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// options are the parsed flags.
type options struct {
	out      string
	dirs     list // host trees merged at /
	adds     list // /image/path=host/path
	mkdirs   list
	symlinks list // /image/path=target
	init     string
	cmd      string
	list     bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("mkinitramfs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "o", "build/initramfs.cpio", "output file: a newc cpio, gzip'd if the name ends in .gz; - for stdout (uncompressed)")
	fs.Var(&o.dirs, "dir", "add the host directory tree DIR at / (repeatable)")
	fs.Var(&o.adds, "add", "add /image/path=host/path: a file, symlink or directory tree (repeatable)")
	fs.Var(&o.mkdirs, "mkdir", "add an empty directory /path (repeatable)")
	fs.Var(&o.symlinks, "symlink", "add a symlink /path=target (repeatable)")
	fs.StringVar(&o.init, "init", "", "make /init a symlink to this image path, e.g. /bin/init")
	fs.StringVar(&o.cmd, "cmd", "", "write this command line to /etc/init.cmd (what user/init runs)")
	fs.BoolVar(&o.list, "list", false, "print the image's paths on stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mkinitramfs [flags]\n\nBuilds a deterministic newc initramfs (gzip'd if -o ends in .gz).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (every input is a flag)", fs.Arg(0))
	}
	return o, nil
}

// build makes the tree the options describe.
func build(o options) (*initramfs.Tree, error) {
	t := &initramfs.Tree{}
	for _, d := range o.dirs {
		if err := t.HostTree("/", d); err != nil {
			return nil, fmt.Errorf("-dir %s: %w", d, err)
		}
	}
	for _, d := range o.mkdirs {
		if err := t.Dir(d); err != nil {
			return nil, fmt.Errorf("-mkdir: %w", err)
		}
	}
	for _, a := range o.adds {
		img, host, ok := strings.Cut(a, "=")
		if !ok || host == "" {
			return nil, fmt.Errorf("-add %q: want /image/path=host/path", a)
		}
		if err := t.HostFile(img, host); err != nil {
			return nil, fmt.Errorf("-add %s: %w", a, err)
		}
	}
	for _, s := range o.symlinks {
		img, target, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("-symlink %q: want /path=target", s)
		}
		if err := t.Symlink(img, target); err != nil {
			return nil, fmt.Errorf("-symlink: %w", err)
		}
	}
	if o.init != "" {
		if _, err := initramfs.CleanPath(o.init); err != nil {
			return nil, fmt.Errorf("-init: %w", err)
		}
		if err := t.Symlink("/init", o.init); err != nil {
			return nil, fmt.Errorf("-init: %w", err)
		}
	}
	if o.cmd != "" {
		if err := t.File("/etc/init.cmd", []byte(o.cmd+"\n"), false, "-cmd"); err != nil {
			return nil, fmt.Errorf("-cmd: %w", err)
		}
	}
	return t, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mkinitramfs:", err)
		return 2
	}
	t, err := build(o)
	if err != nil {
		fmt.Fprintln(stderr, "mkinitramfs:", err)
		return 1
	}
	var buf bytes.Buffer
	if err := t.WriteAs(&buf, o.out); err != nil {
		fmt.Fprintln(stderr, "mkinitramfs:", err)
		return 1
	}
	if o.list {
		for _, p := range t.Paths() {
			fmt.Fprintln(stderr, p)
		}
	}
	if o.out == "-" {
		stdout.Write(buf.Bytes())
		return 0
	}
	if err := writeFileAtomic(o.out, buf.Bytes()); err != nil {
		fmt.Fprintln(stderr, "mkinitramfs:", err)
		return 1
	}
	return 0
}

// writeFileAtomic writes data to a temporary file next to path and
// renames it into place, so a reader never sees half an image.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".mkinitramfs-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
