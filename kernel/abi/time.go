// time.go: struct timespec and struct timeval.

// trapctx: process context only

package abi

// Timespec is struct timespec: tv_sec (0), tv_nsec (8); 16 bytes.
type Timespec struct {
	Sec, Nsec int64
}

// TimespecSize is sizeof(struct timespec).
const TimespecSize = 16

func (t Timespec) put(b []byte) {
	le.PutUint64(b[0:], uint64(t.Sec))
	le.PutUint64(b[8:], uint64(t.Nsec))
}

// Encode returns the 16 bytes of t.
func (t Timespec) Encode() []byte {
	b := make([]byte, TimespecSize)
	t.put(b)
	return b
}

// DecodeTimespec reads a timespec; EINVAL if tv_nsec is outside
// [0, 1e9) (the caller allows UTIME_NOW/UTIME_OMIT where they apply, with
// DecodeTimespecUtime) or tv_sec is negative.
func DecodeTimespec(b []byte) (Timespec, error) {
	if len(b) < TimespecSize {
		return Timespec{}, EFAULT
	}
	t := Timespec{int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))}
	if t.Sec < 0 || t.Nsec < 0 || t.Nsec >= 1e9 {
		return t, EINVAL
	}
	return t, nil
}

// DecodeTimespecUtime reads a utimensat time: tv_nsec may also be
// UTIME_NOW or UTIME_OMIT (tv_sec is then ignored).
func DecodeTimespecUtime(b []byte) (Timespec, error) {
	if len(b) < TimespecSize {
		return Timespec{}, EFAULT
	}
	t := Timespec{int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))}
	if t.Nsec == UTIME_NOW || t.Nsec == UTIME_OMIT {
		return t, nil
	}
	if t.Nsec < 0 || t.Nsec >= 1e9 {
		return t, EINVAL
	}
	return t, nil
}

// Timeval is struct timeval: tv_sec (0), tv_usec (8); 16 bytes.
type Timeval struct {
	Sec, Usec int64
}

// Encode returns the 16 bytes of t.
func (t Timeval) Encode() []byte {
	b := make([]byte, 16)
	le.PutUint64(b[0:], uint64(t.Sec))
	le.PutUint64(b[8:], uint64(t.Usec))
	return b
}

// DecodeTimeval reads a timeval; EINVAL unless 0 <= tv_usec < 1e6 and
// tv_sec >= 0.
func DecodeTimeval(b []byte) (Timeval, error) {
	if len(b) < 16 {
		return Timeval{}, EFAULT
	}
	t := Timeval{int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))}
	if t.Sec < 0 || t.Usec < 0 || t.Usec >= 1e6 {
		return t, EINVAL
	}
	return t, nil
}
