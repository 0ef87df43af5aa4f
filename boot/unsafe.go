// unsafe.go: string views of static byte arrays and byte views of memory
// the firmware left (no allocation before the Go runtime exists).

package boot

import "unsafe"

func unsafeString(p *byte, n int) string { return unsafe.String(p, n) }

func unsafeBytes(p *byte, n int) []byte { return unsafe.Slice(p, n) }
