// unsafe.go: string views of static byte arrays (no allocation before the
// Go runtime exists).

package boot

import "unsafe"

func unsafeString(p *byte, n int) string { return unsafe.String(p, n) }
