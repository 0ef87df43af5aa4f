// ipi.go: sending inter-processor interrupts through the xAPIC's interrupt
// command register (SDM Vol. 3A §11.6.1), written directly like every
// LAPIC register (lapic.go says why). Sending must also work in trap
// context and before the runtime exists, so it waits for delivery by
// spinning, never by yielding.

package amd64

const (
	lapicICRLow  = 0x300
	lapicICRHigh = 0x310

	icrFixed       = 0 << 8
	icrNMI         = 4 << 8
	icrINIT        = 5 << 8
	icrStartup     = 6 << 8
	icrPending     = 1 << 12
	icrAssert      = 1 << 14
	icrLevel       = 1 << 15
	icrAllButSelf  = 3 << 18
	icrAllInclSelf = 2 << 18
)

func icrWait() {
	for lapicRead(lapicICRLow)&icrPending != 0 {
		Pause()
	}
}

// icrSend waits until the previous IPI left (the delivery-status bit:
// SDM Vol. 3A §11.6.1), then writes the destination and the command,
// which sends. It does not wait for this one to leave, as Linux's
// __default_send_IPI_dest_field does not: the next send waits first, and
// under QEMU every ICR read takes its global lock, which the CPU that
// must take the interrupt needs too.
func icrSend(dest uint32, low uint32) {
	f := EnterAtomic() // the two writes must not be split by an interrupt that sends an IPI too
	icrWait()
	lapicWrite(lapicICRHigh, dest<<24)
	lapicWrite(lapicICRLow, low)
	ExitAtomic(f)
}

// SendIPI sends a fixed interrupt with vector to the CPU with apicID.
func SendIPI(apicID uint32, vector uint8) { icrSend(apicID, icrFixed|icrAssert|uint32(vector)) }

// SendNMIAllButSelf sends an NMI to every other CPU (the oops path uses it
// to stop the machine).
func SendNMIAllButSelf() { icrSend(0, icrNMI|icrAssert|icrAllButSelf) }

// SendNMIAll sends an NMI to every CPU, this one included (the all-CPU
// backtrace: each CPU records where it was, even with interrupts off).
func SendNMIAll() { icrSend(0, icrNMI|icrAssert|icrAllInclSelf) }

// SendINIT sends INIT to apicID (level assert), the first step of waking an
// application processor (SDM Vol. 3A §9.4.4.1).
func SendINIT(apicID uint32) { icrSend(apicID, icrINIT|icrAssert|icrLevel) }

// SendStartup sends a start-up IPI: the AP starts in real mode at
// page<<12.
func SendStartup(apicID uint32, page uint8) { icrSend(apicID, icrStartup|uint32(page)) }
