package ktest

import (
	"bytes"
	"strings"
	"testing"
)

func TestListAndSorted(t *testing.T) {
	r := &registry{}
	r.register(Suite{Name: "syscall", Doc: "system calls"})
	r.register(Suite{Name: "boot", Doc: "early boot state"})
	r.register(Suite{Name: "runtime"})
	var b bytes.Buffer
	r.list(&b)
	want := "suite: boot - early boot state\nsuite: runtime\nsuite: syscall - system calls\n"
	if b.String() != want {
		t.Errorf("list:\n%s\nwant:\n%s", b.String(), want)
	}
	var names []string
	for _, s := range r.sorted() {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "boot runtime syscall" {
		t.Errorf("sorted = %s", got)
	}
}

func TestRegisterPanics(t *testing.T) {
	fn := func(*T) {}
	tests := []struct {
		name string
		s    Suite
		want string
	}{
		{"dup suite", Suite{Name: "a"}, `ktest: Register: duplicate suite "a"`},
		{"empty suite", Suite{}, "ktest: Register: suite with empty name"},
		{"empty case", Suite{Name: "b", Cases: []Case{{Fn: fn}}}, `ktest: Register: suite "b": case with empty name`},
		{"dup case", Suite{Name: "b", Cases: []Case{{Name: "x", Fn: fn}, {Name: "x", Fn: fn}}}, `ktest: Register: suite "b": duplicate case "x"`},
		{"nil fn", Suite{Name: "b", Cases: []Case{{Name: "x"}}}, `ktest: Register: suite "b": case "x" has no function`},
	}
	for _, tt := range tests {
		r := &registry{}
		r.register(Suite{Name: "a"})
		func() {
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("%s: panic %v, want %q", tt.name, got, tt.want)
				}
			}()
			r.register(tt.s)
		}()
	}
}
