// locks.go: the lock classes of package mm (see the lock tree in doc.go),
// for the lock validator (package lockdep).

package mm

import "retract/lockdep"

var (
	classMmapLock   = lockdep.Register("mm.MM.MmapLock", lockdep.Sleep)
	classPmdLock    = lockdep.Register("mm.MM.pmdLock", lockdep.Spin)
	classPTL        = lockdep.Register("phys.Frame.PTL", lockdep.Spin)
	classMMs        = lockdep.Register("mm.mmsMu", lockdep.Sleep)
	classFileMu     = lockdep.Register("mm.File.mu", lockdep.Sleep)
	classImmap      = lockdep.Register("mm.File.immapMu", lockdep.Sleep)
	classCollapse   = lockdep.Register("mm.File.collapseMu", lockdep.Sleep)
	classKhugepaged = lockdep.Register("mm.khugepaged.mu", lockdep.Sleep)
	classRetractLog = lockdep.Register("mm.retractMu", lockdep.Spin)
)

func init() {
	mmsMu.Class = classMMs
	khp.mu.Class = classKhugepaged
	retractMu.SetClass(classRetractLog)
}
