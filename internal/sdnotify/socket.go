package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// Socket is the master's notify socket.
type Socket struct {
	conn *net.UnixConn
	path string
	buf  []byte
	oob  []byte
}

// Note is one message with the pid of the process that sent it, as the kernel
// vouches for it.
type Note struct {
	PID     int
	Message Message
}

// Listen binds a unixgram socket at path with SO_PASSCRED, so every datagram
// carries its sender's credentials. A stale socket file is replaced.
func Listen(path string) (*Socket, error) {
	_ = os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("listen notify socket: %w", err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("listen notify socket: %w", err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}); err != nil || serr != nil {
		conn.Close()
		return nil, fmt.Errorf("listen notify socket: SO_PASSCRED: %w", errors.Join(err, serr))
	}
	return &Socket{conn: conn, path: path, buf: make([]byte, MaxMessage+1), oob: make([]byte, unix.CmsgSpace(unix.SizeofUcred))}, nil
}

// Path is what children get as NOTIFY_SOCKET.
func (s *Socket) Path() string { return s.path }

// Receive blocks for the next well-formed message. Datagrams without
// credentials or that do not parse are returned as errors; the caller decides
// whether to log them, and keeps reading.
func (s *Socket) Receive() (Note, error) {
	n, oobn, _, _, err := s.conn.ReadMsgUnix(s.buf, s.oob)
	if err != nil {
		return Note{}, err
	}
	cmsgs, err := unix.ParseSocketControlMessage(s.oob[:oobn])
	if err != nil {
		return Note{}, fmt.Errorf("notify: control message: %w", err)
	}
	pid := 0
	for _, c := range cmsgs {
		if cred, err := unix.ParseUnixCredentials(&c); err == nil {
			pid = int(cred.Pid)
		}
	}
	if pid == 0 {
		return Note{}, errors.New("notify: datagram without sender credentials")
	}
	msg, err := Parse(s.buf[:n])
	if err != nil {
		return Note{PID: pid}, err
	}
	return Note{PID: pid, Message: msg}, nil
}

// IsClosed tells whether err came from a Receive on a closed socket.
func IsClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

// Close closes the socket and removes its file.
func (s *Socket) Close() error {
	err := s.conn.Close()
	os.Remove(s.path)
	return err
}
