//go:build linux

package qemu

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Accelerator names accepted in [Config.Accel] and by [ChooseAccel].
const (
	AccelAuto = "auto"
	AccelKVM  = "kvm"
	AccelTCG  = "tcg"
)

// HostProbe is what ChooseAccel looks at; tests fake it.
type HostProbe struct {
	DevKVMUsable func() bool            // /dev/kvm exists and opens read-write
	Modules      func() (string, error) // contents of /proc/modules
}

// DefaultProbe returns the probe of the real host: it opens /dev/kvm
// read-write and reads /proc/modules.
func DefaultProbe() HostProbe {
	return HostProbe{
		DevKVMUsable: func() bool {
			f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
			if err != nil {
				return false
			}
			f.Close()
			return true
		},
		Modules: func() (string, error) {
			b, err := os.ReadFile("/proc/modules")
			return string(b), err
		},
	}
}

// Decision is the accelerator choice and the reason, printed on stderr by the launcher,
// e.g. "qemu: accel tcg (auto: /dev/kvm is kvm_pvm, which cannot run this guest)".
type Decision struct {
	Accel  string // "kvm" or "tcg"
	Reason string
}

// String renders the decision as the launcher prints it (without the
// "qemu: " prefix), e.g. "accel kvm (auto: /dev/kvm backed by kvm_intel)".
func (d Decision) String() string {
	return fmt.Sprintf("accel %s (%s)", d.Accel, d.Reason)
}

// kvmBackend returns the KVM vendor module named in the contents of
// /proc/modules: "kvm_intel" or "kvm_amd" if either is loaded, else
// "kvm_pvm" if that is, else "".
func kvmBackend(modules string) string {
	have := map[string]bool{}
	for _, line := range strings.Split(modules, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			have[f[0]] = true
		}
	}
	for _, m := range []string{"kvm_intel", "kvm_amd", "kvm_pvm"} {
		if have[m] {
			return m
		}
	}
	return ""
}

const pvmExplanation = "kvm_pvm only runs PVM-aware guests; this kernel would stop at its first SSE instruction"

// ChooseAccel picks the accelerator for requested ("auto", "kvm", "tcg";
// "" means "auto"), consulting p only when needed.
//
//   - "tcg" gives TCG.
//   - "kvm" gives KVM when /dev/kvm is usable and /proc/modules lists
//     kvm_intel or kvm_amd; otherwise an error explaining why not.
//   - "auto" gives KVM under the same conditions and TCG otherwise, with
//     the reason in the Decision.
//   - anything else is an error.
func ChooseAccel(requested string, p HostProbe) (Decision, error) {
	switch requested {
	case AccelTCG:
		return Decision{Accel: AccelTCG, Reason: "requested"}, nil
	case AccelKVM, AccelAuto, "":
	default:
		return Decision{}, fmt.Errorf("unknown accelerator %q (want auto, kvm or tcg)", requested)
	}
	auto := requested != AccelKVM

	usable := p.DevKVMUsable != nil && p.DevKVMUsable()
	if !usable {
		if auto {
			return Decision{Accel: AccelTCG, Reason: "auto: no /dev/kvm"}, nil
		}
		return Decision{}, errors.New("accel kvm requested but /dev/kvm is missing or cannot be opened read-write (is KVM enabled, and are you in group kvm?); use -accel tcg")
	}

	var mods string
	var err error
	if p.Modules == nil {
		err = errors.New("no module probe")
	} else {
		mods, err = p.Modules()
	}
	if err != nil {
		if auto {
			return Decision{Accel: AccelTCG, Reason: fmt.Sprintf("auto: cannot read /proc/modules to check the KVM backend: %v", err)}, nil
		}
		return Decision{}, fmt.Errorf("accel kvm requested but /proc/modules cannot be read to check that /dev/kvm is kvm_intel or kvm_amd: %v; use -accel tcg", err)
	}

	switch backend := kvmBackend(mods); backend {
	case "kvm_intel", "kvm_amd":
		if auto {
			return Decision{Accel: AccelKVM, Reason: "auto: /dev/kvm backed by " + backend}, nil
		}
		return Decision{Accel: AccelKVM, Reason: "requested; /dev/kvm backed by " + backend}, nil
	case "kvm_pvm":
		if auto {
			return Decision{Accel: AccelTCG, Reason: "auto: /dev/kvm is kvm_pvm, which cannot run this guest"}, nil
		}
		return Decision{}, errors.New("accel kvm requested but /dev/kvm is kvm_pvm: " + pvmExplanation + "; use -accel tcg")
	default:
		if auto {
			return Decision{Accel: AccelTCG, Reason: "auto: no kvm_intel/kvm_amd module"}, nil
		}
		return Decision{}, errors.New("accel kvm requested but /proc/modules lists neither kvm_intel nor kvm_amd; use -accel tcg")
	}
}
