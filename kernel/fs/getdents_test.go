package fs

import (
	"sort"
	"strings"
	"testing"

	"retract/kernel/abi"
)

func TestGetdents(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/d")
	mkdir(t, tk, "/d/sub")
	writeFile(t, tk, "/d/f", "")
	ok(t, Symlinkat(tk, "f", abi.AT_FDCWD, "/d/l"))
	fd, _ := Openat(tk, abi.AT_FDCWD, "/d", abi.O_RDONLY|abi.O_DIRECTORY, 0)
	buf := make([]byte, 4096)
	n, err := Getdents64(tk, fd, buf)
	ok(t, err)
	ds, err := abi.ParseDirents64(buf[:n])
	ok(t, err)
	var got []string
	for _, d := range ds {
		got = append(got, d.Name+":"+itoa(uint64(d.Type)))
	}
	if strings.Join(got, " ") != "."+":4 ..:4 sub:4 f:8 l:10" {
		t.Errorf("entries %v", got)
	}
	if ds[0].Ino != stat(t, tk, "/d").Ino || ds[1].Ino != stat(t, tk, "/").Ino || ds[3].Ino != stat(t, tk, "/d/f").Ino {
		t.Errorf("inode numbers %+v", ds)
	}
	if n, _ := Getdents64(tk, fd, buf); n != 0 {
		t.Errorf("second call: %d bytes, want the end", n)
	}
	// Rewind to a saved offset (seekdir).
	if _, err := Lseek(tk, fd, ds[2].Off, abi.SEEK_SET); err != nil {
		t.Fatal(err)
	}
	n, _ = Getdents64(tk, fd, buf)
	rest, _ := abi.ParseDirents64(buf[:n])
	if len(rest) != 2 || rest[0].Name != "f" {
		t.Errorf("after seekdir: %+v", rest)
	}
	_, err = Getdents64(tk, fd, make([]byte, 10))
	Lseek(tk, fd, 0, abi.SEEK_SET)
	_, err = Getdents64(tk, fd, make([]byte, 10))
	want(t, "buffer too small", err, abi.EINVAL)
	ffd, _ := Openat(tk, abi.AT_FDCWD, "/d/f", abi.O_RDONLY, 0)
	_, err = Getdents64(tk, ffd, buf)
	want(t, "getdents a file", err, abi.ENOTDIR)
	// A mount's root: ".." is itself.
	tfd, _ := Openat(tk, abi.AT_FDCWD, "/tmp", abi.O_RDONLY, 0)
	n, _ = Getdents64(tk, tfd, buf)
	td, _ := abi.ParseDirents64(buf[:n])
	if len(td) != 2 || td[1].Ino != td[0].Ino {
		t.Errorf("/tmp: %+v", td)
	}
}

// Entries removed or added while a reader goes through a directory in
// small steps: every entry that stays is listed exactly once.
func TestGetdentsCursorSurvivesUnlinks(t *testing.T) {
	_, tk := newEnv(t)
	mkdir(t, tk, "/d")
	for i := 0; i < 100; i++ {
		writeFile(t, tk, "/d/f"+itoa(uint64(i)), "")
	}
	fd, _ := Openat(tk, abi.AT_FDCWD, "/d", abi.O_RDONLY, 0)
	seen := map[string]int{}
	buf := make([]byte, 64) // two records at a time
	round := 0
	for {
		n, err := Getdents64(tk, fd, buf)
		ok(t, err)
		if n == 0 {
			break
		}
		ds, _ := abi.ParseDirents64(buf[:n])
		for _, d := range ds {
			seen[d.Name]++
		}
		// Remove an entry already read, one not yet read, add one.
		round++
		if round > 1000 {
			t.Fatalf("no end after %d rounds; last %+v", round, ds)
		}
		Unlinkat(tk, abi.AT_FDCWD, "/d/f"+itoa(uint64(round)), 0)
		Unlinkat(tk, abi.AT_FDCWD, "/d/f"+itoa(uint64(99-round)), 0)
		if round <= 30 {
			writeFile(t, tk, "/d/new"+itoa(uint64(round)), "")
		}
	}
	var dup []string
	for name, c := range seen {
		if c > 1 {
			dup = append(dup, name)
		}
	}
	sort.Strings(dup)
	if len(dup) > 0 {
		t.Errorf("listed twice: %v", dup)
	}
	// Every entry present from start to end was listed.
	for _, name := range names(t, tk, "/d") {
		if strings.HasPrefix(name, "f") && seen[name] != 1 {
			t.Errorf("%s stayed and was listed %d times", name, seen[name])
		}
	}
}
