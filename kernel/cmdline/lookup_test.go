package cmdline

import "testing"

func TestLookup(t *testing.T) {
	tests := []struct {
		s, key string
		value  string
		ok     bool
	}{
		{"", "cpus", "", false},
		{"cpus=2", "cpus", "2", true},
		{"  cpus=2  ", "cpus", "2", true},
		{"cpus=2 cpus=3", "cpus", "3", true},
		{"cpus=2\tlog=info\ncpus=5\r", "cpus", "5", true},
		{"cpus=2 cpus", "cpus", "2", true},     // bare word does not count
		{"cpus", "cpus", "", false},            // no '='
		{"cpus=", "cpus", "", true},            // empty value
		{"xcpus=1 cpusx=2", "cpus", "", false}, // whole key only
		{"a=b=c", "a", "b=c", true},
		{"log=debug", "log", "debug", true},
		{"cpus=1", "", "", false},
	}
	for _, tt := range tests {
		v, ok := Lookup(tt.s, tt.key)
		if v != tt.value || ok != tt.ok {
			t.Errorf("Lookup(%q, %q) = %q, %v; want %q, %v", tt.s, tt.key, v, ok, tt.value, tt.ok)
		}
	}
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		s  string
		v  uint64
		ok bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"007", 7, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"0x0", 0, true},
		{"0x2a", 42, true},
		{"0X2A", 42, true},
		{"0xffffffffffffffff", 1<<64 - 1, true},
		{"0x10000000000000000", 0, false},
		{"0x", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1x", 0, false},
		{"0xg", 0, false},
		{" 1", 0, false},
		{"1_000", 0, false},
	}
	for _, tt := range tests {
		v, ok := ParseUint(tt.s)
		if v != tt.v || ok != tt.ok {
			t.Errorf("ParseUint(%q) = %d, %v; want %d, %v", tt.s, v, ok, tt.v, tt.ok)
		}
	}
}

var sink uint64

func TestLookupParseUintDoNotAllocate(t *testing.T) {
	line := "log=debug seed=0xdeadbeef test=boot,runtime cpus=3 seed=12345"
	allocs := testing.AllocsPerRun(100, func() {
		v, ok := Lookup(line, "seed")
		n, ok2 := ParseUint(v)
		if !ok || !ok2 {
			panic("lookup failed")
		}
		sink += n
		_, _ = Lookup(line, "missing")
		_, _ = ParseUint("0xffffffffffffffffff")
	})
	if allocs != 0 {
		t.Errorf("Lookup+ParseUint allocated %v times per run, want 0", allocs)
	}
	if v, _ := Lookup(line, "seed"); v != "12345" {
		t.Errorf("Lookup(seed) = %q, want 12345", v)
	}
}
