//go:build linux

package qemu

import (
	"errors"
	"strings"
	"testing"
)

const (
	modsIntel = "kvm_intel 380928 0 - Live 0x0000000000000000\nkvm 1142784 1 kvm_intel, Live 0x0000000000000000\nirqbypass 16384 1 kvm, Live 0x0000000000000000\n"
	modsAMD   = "kvm_amd 155648 0 - Live 0x0000000000000000\nccp 118784 1 kvm_amd, Live 0x0000000000000000\nkvm 1142784 1 kvm_amd, Live 0x0000000000000000\n"
	modsPVM   = "kvm_pvm 53248 0 - Live 0x0000000000000000\nkvm 1142784 1 kvm_pvm, Live 0x0000000000000000\n"
	modsNone  = "kvm 1142784 0 - Live 0x0000000000000000\nloop 32768 0 - Live 0x0000000000000000\n"
	// A module whose name merely contains kvm_intel must not count.
	modsLookalike = "my_kvm_intel_helper 16384 0 - Live 0x0000000000000000\n"
)

func fakeProbe(devKVM bool, modules string, modErr error) HostProbe {
	return HostProbe{
		DevKVMUsable: func() bool { return devKVM },
		Modules:      func() (string, error) { return modules, modErr },
	}
}

func TestChooseAccel(t *testing.T) {
	errUnreadable := errors.New("open /proc/modules: no such file or directory")
	tests := []struct {
		name      string
		requested string
		probe     HostProbe
		accel     string   // want Decision.Accel; "" when an error is expected
		says      []string // substrings of the reason, or of the error
	}{
		{"auto intel", "auto", fakeProbe(true, modsIntel, nil), "kvm", []string{"auto", "kvm_intel"}},
		{"auto amd", "auto", fakeProbe(true, modsAMD, nil), "kvm", []string{"auto", "kvm_amd"}},
		{"empty means auto", "", fakeProbe(true, modsIntel, nil), "kvm", []string{"auto"}},
		{"auto pvm only", "auto", fakeProbe(true, modsPVM, nil), "tcg", []string{"auto: /dev/kvm is kvm_pvm, which cannot run this guest"}},
		{"auto intel beats pvm", "auto", fakeProbe(true, modsPVM+modsIntel, nil), "kvm", []string{"kvm_intel"}},
		{"auto no dev kvm", "auto", fakeProbe(false, modsIntel, nil), "tcg", []string{"auto: no /dev/kvm"}},
		{"auto no vendor module", "auto", fakeProbe(true, modsNone, nil), "tcg", []string{"auto: no kvm_intel/kvm_amd module"}},
		{"auto lookalike module", "auto", fakeProbe(true, modsLookalike, nil), "tcg", []string{"no kvm_intel/kvm_amd module"}},
		{"auto empty modules", "auto", fakeProbe(true, "", nil), "tcg", []string{"no kvm_intel/kvm_amd module"}},
		{"auto unreadable modules", "auto", fakeProbe(true, "", errUnreadable), "tcg", []string{"auto", "/proc/modules", "no such file"}},
		{"auto nil probe", "auto", HostProbe{}, "tcg", []string{"no /dev/kvm"}},

		{"tcg", "tcg", fakeProbe(true, modsIntel, nil), "tcg", []string{"requested"}},
		{"tcg ignores probe", "tcg", HostProbe{}, "tcg", []string{"requested"}},

		{"kvm intel", "kvm", fakeProbe(true, modsIntel, nil), "kvm", []string{"requested", "kvm_intel"}},
		{"kvm amd", "kvm", fakeProbe(true, modsAMD, nil), "kvm", []string{"requested", "kvm_amd"}},
		{"kvm pvm", "kvm", fakeProbe(true, modsPVM, nil), "", []string{"kvm_pvm", "SSE", "-accel tcg"}},
		{"kvm no dev kvm", "kvm", fakeProbe(false, modsIntel, nil), "", []string{"/dev/kvm", "-accel tcg"}},
		{"kvm no vendor module", "kvm", fakeProbe(true, modsNone, nil), "", []string{"neither kvm_intel nor kvm_amd"}},
		{"kvm unreadable modules", "kvm", fakeProbe(true, "", errUnreadable), "", []string{"/proc/modules", "no such file"}},

		{"bad value", "hvf", fakeProbe(true, modsIntel, nil), "", []string{`"hvf"`, "auto, kvm or tcg"}},
		{"wrong case", "KVM", fakeProbe(true, modsIntel, nil), "", []string{`"KVM"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ChooseAccel(tt.requested, tt.probe)
			var text string
			if tt.accel == "" {
				if err == nil {
					t.Fatalf("ChooseAccel(%q) = %+v, want an error", tt.requested, d)
				}
				text = err.Error()
			} else {
				if err != nil {
					t.Fatalf("ChooseAccel(%q): %v", tt.requested, err)
				}
				if d.Accel != tt.accel {
					t.Errorf("accel %q, want %q (reason %q)", d.Accel, tt.accel, d.Reason)
				}
				text = d.Reason
			}
			for _, s := range tt.says {
				if !strings.Contains(text, s) {
					t.Errorf("%q does not mention %q", text, s)
				}
			}
		})
	}
}

func TestChooseAccelTCGDoesNotProbe(t *testing.T) {
	p := HostProbe{
		DevKVMUsable: func() bool { t.Error("probed /dev/kvm"); return true },
		Modules:      func() (string, error) { t.Error("read /proc/modules"); return modsIntel, nil },
	}
	if _, err := ChooseAccel("tcg", p); err != nil {
		t.Fatal(err)
	}
}

func TestDecisionString(t *testing.T) {
	d := Decision{Accel: "tcg", Reason: "auto: /dev/kvm is kvm_pvm, which cannot run this guest"}
	want := "accel tcg (auto: /dev/kvm is kvm_pvm, which cannot run this guest)"
	if got := d.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestDefaultProbe only checks that the real probe runs without panicking
// and agrees with itself; what it finds depends on the host.
func TestDefaultProbe(t *testing.T) {
	d, err := ChooseAccel("auto", DefaultProbe())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("this host: %v", d)
}
