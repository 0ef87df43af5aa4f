// locks.go: the lock classes of package phys, for the lock validator.

package phys

import "retract/lockdep"

func init() {
	kernelMapLock.SetClass(lockdep.Register("phys.kernelMapLock", lockdep.Spin))
	Frames.SetClasses(lockdep.Register("phys.Allocator.lock", lockdep.Spin), lockdep.Register("phys.Allocator.pcp.lock", lockdep.Spin))
}
