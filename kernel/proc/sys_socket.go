// sys_socket.go: the socket calls this kernel has — socketpair(AF_UNIX)
// and send/recv on its ends (package fs: socket.go). Other families, and
// named sockets (socket, bind, connect), are not here: socket(2) says
// EAFNOSUPPORT, so that a program falls back or reports it.

// trapctx: process context only

package proc

import (
	"encoding/binary"

	"retract/kernel/abi"
	"retract/kernel/fs"
)

func init() {
	reg(53, sysSocketpair)
	reg(41, func(t *Task, a *[6]uint64) (uint64, error) { return 0, abi.EAFNOSUPPORT })
	reg(44, sysSendto)
	reg(45, sysRecvfrom)
}

// socketpair(domain, type, protocol, sv): fs.Socketpair, the two
// descriptors written to sv (EFAULT: both closed again).
func sysSocketpair(t *Task, a *[6]uint64) (uint64, error) {
	fd0, fd1, err := fs.Socketpair(&t.FS, int(int32(a[0])), int(int32(a[1])), int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(fd0))
	binary.LittleEndian.PutUint32(b[4:], uint32(fd1))
	if err := t.copyOut(a[3], b); err != nil {
		fs.Close(&t.FS, fd0)
		fs.Close(&t.FS, fd1)
		return 0, err
	}
	return 0, nil
}

// sendto(fd, buf, len, flags, addr, addrlen): send on a connected pair
// (an address is EISCONN: the end has its peer). At most ioBuf bytes
// move per call; EPIPE raises SIGPIPE unless MSG_NOSIGNAL.
func sysSendto(t *Task, a *[6]uint64) (uint64, error) {
	if a[4] != 0 {
		return 0, abi.EISCONN
	}
	b, err := t.copyIn(a[1], int(min(a[2], ioBuf)))
	if err != nil {
		return 0, err
	}
	got, err := fs.Send(&t.FS, int(int32(a[0])), b, int(int32(a[3])))
	if int32(a[3])&fs.MSG_NOSIGNAL != 0 {
		if got > 0 {
			return uint64(got), nil
		}
		return 0, err
	}
	return t.afterWrite(got, err)
}

// recvfrom(fd, buf, len, flags, addr, addrlen): recv; a pair's peer has
// no address, so *addrlen becomes 0.
func sysRecvfrom(t *Task, a *[6]uint64) (uint64, error) {
	n := min(a[2], ioBuf)
	b := make([]byte, n)
	got, err := fs.Recv(&t.FS, int(int32(a[0])), b, int(int32(a[3])))
	if err != nil {
		return 0, err
	}
	if err := t.copyOut(a[1], b[:got]); err != nil {
		return 0, err
	}
	if a[4] != 0 && a[5] != 0 {
		if err := t.copyOut(a[5], make([]byte, 4)); err != nil {
			return 0, err
		}
	}
	return uint64(got), nil
}
