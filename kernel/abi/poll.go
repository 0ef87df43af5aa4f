// poll.go: struct pollfd and struct epoll_event (packed on x86-64).

// trapctx: process context only

package abi

// PollFd is struct pollfd: fd (0, int), events (4, short), revents (6).
type PollFd struct {
	Fd      int32
	Events  int16
	Revents int16
}

// PollFdSize is sizeof(struct pollfd).
const PollFdSize = 8

// DecodePollFds reads n pollfds.
func DecodePollFds(b []byte) ([]PollFd, error) {
	if len(b)%PollFdSize != 0 {
		return nil, EFAULT
	}
	out := make([]PollFd, len(b)/PollFdSize)
	for i := range out {
		r := b[i*PollFdSize:]
		out[i] = PollFd{int32(le.Uint32(r)), int16(le.Uint16(r[4:])), int16(le.Uint16(r[6:]))}
	}
	return out, nil
}

// EncodePollFds writes pollfds back (poll copies out the whole array).
func EncodePollFds(fds []PollFd) []byte {
	b := make([]byte, len(fds)*PollFdSize)
	for i, p := range fds {
		r := b[i*PollFdSize:]
		le.PutUint32(r, uint32(p.Fd))
		le.PutUint16(r[4:], uint16(p.Events))
		le.PutUint16(r[6:], uint16(p.Revents))
	}
	return b
}

// EpollEvent is struct epoll_event, which x86-64 packs: events (0, u32),
// data (4, u64); 12 bytes.
type EpollEvent struct {
	Events uint32
	Data   uint64
}

// EpollEventSize is sizeof(struct epoll_event) on x86-64.
const EpollEventSize = 12

// Encode returns the 12 bytes of e.
func (e EpollEvent) Encode() []byte {
	b := make([]byte, EpollEventSize)
	le.PutUint32(b, e.Events)
	le.PutUint64(b[4:], e.Data)
	return b
}

// EncodeEpollEvents packs events back to back (epoll_wait's array).
func EncodeEpollEvents(evs []EpollEvent) []byte {
	b := make([]byte, 0, len(evs)*EpollEventSize)
	for _, e := range evs {
		b = append(b, e.Encode()...)
	}
	return b
}

// DecodeEpollEvent reads the event epoll_ctl copies in.
func DecodeEpollEvent(b []byte) (EpollEvent, error) {
	if len(b) < EpollEventSize {
		return EpollEvent{}, EFAULT
	}
	return EpollEvent{le.Uint32(b), le.Uint64(b[4:])}, nil
}
