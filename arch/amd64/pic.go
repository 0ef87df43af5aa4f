// pic.go: the legacy 8259 PICs. retract uses the APICs; the PICs (present
// on q35 and pc, absent on microvm) are moved off the exception vectors
// and masked, or the PIT's IRQ 0 would arrive as vector 8 and look like a
// double fault.

package amd64

const (
	pic1Cmd, pic1Data = 0x20, 0x21
	pic2Cmd, pic2Data = 0xa0, 0xa1
	picVectorBase     = 0x30 // IRQ 0-15 -> vectors 0x30-0x3f, should one slip through
)

// DisablePIC remaps both PICs above the exceptions and masks every line
// (the 8259A initialization sequence ICW1-ICW4, then OCW1 = 0xff).
func DisablePIC() {
	Outb(pic1Cmd, 0x11) // ICW1: initialize, ICW4 follows
	Outb(pic2Cmd, 0x11)
	Outb(pic1Data, picVectorBase) // ICW2: vector base
	Outb(pic2Data, picVectorBase+8)
	Outb(pic1Data, 4) // ICW3: slave on IRQ 2
	Outb(pic2Data, 2)
	Outb(pic1Data, 1) // ICW4: 8086 mode
	Outb(pic2Data, 1)
	Outb(pic1Data, 0xff) // mask everything
	Outb(pic2Data, 0xff)
}
