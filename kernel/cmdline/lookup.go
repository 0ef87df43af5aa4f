package cmdline

// This file holds the part of the package that early boot code may use
// before the Go runtime is up: no allocation, no panics, no runtime calls.
// It is written with byte loops and slicing only (string == would call
// runtime.memequal), shaped so that the compiler proves every index in
// range: the compiled functions contain no CALL instruction at all, not
// even to a bounds-check panic (see go build -gcflags=-S). They are
// nosplit, so they do not need a valid stack guard either.

// isSpace reports whether c separates command-line words.
//
//go:nosplit
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// Lookup returns the value of the last word "key=value" in the command
// line s. A bare "key" word (without '=') does not count. Lookup does not
// allocate and may run before the Go runtime has started.
//
//go:nosplit
func Lookup(s, key string) (value string, ok bool) {
	for len(s) > 0 {
		if isSpace(s[0]) {
			s = s[1:]
			continue
		}
		word, rest := s, ""
		for n := 1; n < len(s); n++ {
			if isSpace(s[n]) {
				word, rest = s[:n], s[n:]
				break
			}
		}
		if v, match := keyValue(word, key); match {
			value, ok = v, true
		}
		s = rest
	}
	return value, ok
}

// keyValue returns the value of word if it is "key=value".
//
//go:nosplit
func keyValue(word, key string) (string, bool) {
	k := len(key)
	if k == 0 || k >= len(word) || word[k] != '=' {
		return "", false
	}
	for j := 0; j < k; j++ {
		if word[j] != key[j] {
			return "", false
		}
	}
	return word[k+1:], true
}

// ParseUint parses s as an unsigned 64-bit number, decimal or hexadecimal
// with a 0x or 0X prefix. It fails on empty input, on any other character,
// and on overflow. ParseUint does not allocate and may run before the Go
// runtime has started.
//
//go:nosplit
func ParseUint(s string) (v uint64, ok bool) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		for i := 2; i < len(s); i++ {
			var d uint64
			c := s[i]
			switch {
			case c >= '0' && c <= '9':
				d = uint64(c - '0')
			case c >= 'a' && c <= 'f':
				d = uint64(c-'a') + 10
			case c >= 'A' && c <= 'F':
				d = uint64(c-'A') + 10
			default:
				return 0, false
			}
			if v>>60 != 0 {
				return 0, false
			}
			v = v<<4 | d
		}
		return v, true
	}
	if len(s) == 0 {
		return 0, false
	}
	const max = ^uint64(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
