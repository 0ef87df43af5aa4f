package cmdline

import (
	"strings"
	"testing"
)

func TestTake(t *testing.T) {
	long := "seed=123456789 " + strings.Repeat("x", MaxLen)
	tests := []struct {
		name      string
		src       string
		n, length int
	}{
		{"empty", "\x00garbage", 0, 0},
		{"short", "log=debug seed=7\x00after", 16, 16},
		{"exactly MaxLen", strings.Repeat("a", MaxLen) + "\x00", MaxLen, MaxLen},
		{"one too long", strings.Repeat("a", MaxLen+1) + "\x00", 0, MaxLen + 1},
		{"long, value at the end", long + "\x00", 0, len(long)},
		{"no NUL", "abc", 3, 3},
	}
	for _, tt := range tests {
		var dst [MaxLen]byte
		n, length := Take(dst[:], []byte(tt.src))
		if n != tt.n || length != tt.length {
			t.Errorf("%s: Take = %d, %d; want %d, %d", tt.name, n, length, tt.n, tt.length)
		}
		if want := tt.src[:tt.n]; string(dst[:n]) != want {
			t.Errorf("%s: copied %q, want %q", tt.name, dst[:n], want)
		}
		if n == 0 && strings.Trim(string(dst[:]), "\x00") != "" {
			t.Errorf("%s: a line that is not taken left bytes in dst", tt.name)
		}
	}
}

// A line cut at the limit must never be parsed: before Take, the boot code
// kept the first 1023 bytes and seed=123456789 could become seed=1234567.
func TestTakeNeverCuts(t *testing.T) {
	for size := MaxLen - 20; size <= MaxLen+20; size++ {
		line := strings.Repeat(" ", size-len("seed=123456789")) + "seed=123456789"
		var dst [MaxLen]byte
		n, length := Take(dst[:], []byte(line+"\x00"))
		if length != size {
			t.Fatalf("size %d: length %d", size, length)
		}
		if n != 0 && n != size {
			t.Fatalf("size %d: copied %d bytes: a cut line", size, n)
		}
		if n == 0 {
			continue
		}
		opts, errs := Parse(string(dst[:n]))
		if len(errs) != 0 || opts.Seed != 123456789 {
			t.Errorf("size %d: seed %d, errors %v", size, opts.Seed, errs)
		}
	}
}

func TestTooLong(t *testing.T) {
	want := "cmdline: 5000 bytes, longer than the 4096 the kernel keeps: ignoring the whole command line"
	if got := TooLong(5000, 1<<16).Error(); got != want {
		t.Errorf("TooLong(5000) = %q, want %q", got, want)
	}
	want = "cmdline: more than 65535 bytes, longer than the 4096 the kernel keeps: ignoring the whole command line"
	if got := TooLong(1<<16, 1<<16).Error(); got != want {
		t.Errorf("TooLong(no end) = %q, want %q", got, want)
	}
}

func TestTakeDoesNotAllocate(t *testing.T) {
	src := []byte(strings.Repeat("a", 100) + "\x00")
	var dst [MaxLen]byte
	if a := testing.AllocsPerRun(100, func() { Take(dst[:], src) }); a != 0 {
		t.Errorf("Take allocated %v times per run", a)
	}
}
