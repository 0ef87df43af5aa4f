package mm

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrno(t *testing.T) {
	for _, c := range []struct {
		err   error
		errno int
	}{
		{nil, 0},
		{ErrInval, EINVAL},
		{ErrNoMemory, ENOMEM},
		{ErrFault, EFAULT},
		{ErrAccErr, EFAULT},
		{ErrSigbus, EFAULT},
		{ErrAgain, EAGAIN},
		{ErrBusy, EBUSY},
		{ErrExist, EEXIST},
		{ErrPerm, EPERM},
		{ErrAccess, EACCES},
		{ErrOverflow, EOVERFLOW},
		{ErrNotSupported, EOPNOTSUPP},
		{fmt.Errorf("wrapped: %w", ErrNotMapped), ENOMEM},
		{fmt.Errorf("wrapped: %w", ErrOverlap), EEXIST},
		{fmt.Errorf("wrapped: %w", ErrBadRange), EINVAL},
		{errors.New("something else"), EINVAL},
	} {
		if got := Errno(c.err); got != c.errno {
			t.Errorf("Errno(%v) = %d, want %d", c.err, got, c.errno)
		}
	}
	// The fault errors are all EFAULTs, and tell themselves apart.
	if !errors.Is(ErrAccErr, ErrFault) || !errors.Is(ErrSigbus, ErrFault) || errors.Is(ErrFault, ErrAccErr) || errors.Is(ErrSigbus, ErrAccErr) {
		t.Errorf("ErrAccErr and ErrSigbus must be ErrFault and not each other")
	}
}

func TestLinuxProtAndAdvice(t *testing.T) {
	for _, c := range []struct {
		p    uint64
		want Prot
		ok   bool
	}{
		{0, ProtNone, true}, {1, ProtRead, true}, {7, protAll, true}, {0xf, protAll, true},
		{0x10, 0, false}, {0x01000000, 0, false}, {0x02000000, 0, false}, {1 << 40, 0, false},
	} {
		got, err := LinuxProt(c.p)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("LinuxProt(%#x) = %v, %v", c.p, got, err)
		}
	}
	for adv := -1; adv < 110; adv++ {
		want := adv >= 0 && adv <= 25 && adv != 5 && adv != 6 && adv != 7 && adv != MadvMergeable && adv != MadvUnmergeable
		if madviseValid(adv) != want {
			t.Errorf("madviseValid(%d) = %v, want %v", adv, !want, want)
		}
	}
}
