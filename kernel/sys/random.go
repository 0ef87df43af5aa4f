// random.go: getrandom.

package sys

import (
	"retract/arch/amd64"
	"retract/kernel/clock"
)

const (
	grndNonblock = 1
	grndRandom   = 2
	grndInsecure = 4
)

// HasRDRAND is set at boot from CPUID.1:ECX[30].
var HasRDRAND bool

// Seed mixes into the fallback generator (from seed= on the command line).
var Seed uint64

var fallback uint64

// next64 returns 64 random bits: RDRAND when the CPU has it, otherwise a
// splitmix64 stream seeded from the TSC and Seed. The fallback is not
// cryptographic; the boot log says which one is in use.
func next64() uint64 {
	if HasRDRAND {
		for i := 0; i < 10; i++ {
			if v, ok := amd64.Rdrand(); ok {
				return v
			}
		}
	}
	if fallback == 0 {
		fallback = amd64.Rdtsc() ^ Seed ^ clock.Nanotime()<<17
	}
	fallback += 0x9e3779b97f4a7c15
	z := fallback
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func sysGetrandom(buf, n, flags uint64) uint64 {
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 || flags&grndRandom != 0 && flags&grndInsecure != 0 {
		return ret(0, EINVAL)
	}
	if n > 32<<20 {
		n = 32 << 20 // Linux returns at most 32 MiB per call
	}
	if !valid(buf, n) {
		return ret(0, EFAULT)
	}
	b := bytesAt(buf, n)
	for i := 0; i < len(b); i += 8 {
		v := next64()
		for j := i; j < i+8 && j < len(b); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return n
}

// Random fills p with random bytes (RDRAND, or the fallback generator):
// for user programs' getrandom, /dev/urandom and AT_RANDOM.
func Random(p []byte) {
	for i := 0; i < len(p); i += 8 {
		v := next64()
		for j := 0; j < 8 && i+j < len(p); j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}
