package listen

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"
	"golang.org/x/sys/unix"
)

// Backlog for sockets resync binds itself. The kernel caps it at
// net.core.somaxconn; systemd's sockets use the unit's Backlog= instead.
const Backlog = 2048

// Env names for the sockets handed to workers.
const (
	EnvFDs     = "RESYNC_LISTEN_FDS"
	EnvFDNames = "RESYNC_LISTEN_FDNAMES"
)

// Socket is a listening socket the master holds for its workers.
type Socket struct {
	Name string
	Addr string // for logs
	file *os.File
	path string // a unix socket file we created, removed on Close
}

// FD returns the raw descriptor without touching its blocking mode.
func (s *Socket) FD() (int, error) {
	raw, err := s.file.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return -1, err
	}
	return fd, nil
}

// Close closes the master's copy, and removes a unix socket file resync
// created itself (systemd removes its own).
func (s *Socket) Close() error {
	err := s.file.Close()
	if s.path != "" {
		os.Remove(s.path)
	}
	return err
}

// Inherited returns the sockets systemd passed (nil when not socket-activated)
// and clears LISTEN_* so nothing else takes them again.
func Inherited() ([]*Socket, error) {
	files := activation.Files(true)
	var out []*Socket
	for _, f := range files {
		s := &Socket{Name: f.Name(), file: f}
		if fd, err := s.FD(); err == nil {
			s.Addr = describe(fd)
		}
		out = append(out, s)
	}
	return out, nil
}

// Bind opens a socket for addr: "host:port" (TCP) or "unix:/path".
func Bind(addr string) (*Socket, error) {
	fd, err := bind(addr)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	path, _ := strings.CutPrefix(addr, "unix:")
	if path == addr {
		path = ""
	}
	return &Socket{Name: "http", Addr: addr, file: os.NewFile(uintptr(fd), addr), path: path}, nil
}

func bind(addr string) (int, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return bindUnix(path)
	}
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return -1, err
	}
	family, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: tcp.Port})
	if ip4 := tcp.IP.To4(); ip4 != nil {
		copy(sa.(*unix.SockaddrInet4).Addr[:], ip4)
	} else if tcp.IP != nil {
		family = unix.AF_INET6
		s6 := &unix.SockaddrInet6{Port: tcp.Port}
		copy(s6.Addr[:], tcp.IP.To16())
		if tcp.Zone != "" {
			if ifi, err := net.InterfaceByName(tcp.Zone); err == nil {
				s6.ZoneId = uint32(ifi.Index)
			}
		}
		sa = s6
	} else {
		// ":8000" — all addresses, v4 and v6 when the host has v6.
		if fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err == nil {
			unix.Close(fd)
			family, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: tcp.Port}
		}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// SO_REUSEADDR so a restart does not wait out TIME_WAIT. Not SO_REUSEPORT:
	// closing one of several reuseport sockets resets the connections queued on it.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if family == unix.AF_INET6 && tcp.IP == nil {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
	}
	return listenOn(fd, sa)
}

func bindUnix(path string) (int, error) {
	if !strings.HasPrefix(path, "/") {
		return -1, errors.New("unix socket path must be absolute")
	}
	// A leftover socket file from a previous run blocks bind; only remove it
	// when nobody answers on it.
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return -1, errors.New("another process is listening on it")
	} else if fi, serr := os.Lstat(path); serr == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	return listenOn(fd, &unix.SockaddrUnix{Name: path})
}

func listenOn(fd int, sa unix.Sockaddr) (int, error) {
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Listen(fd, Backlog); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func describe(fd int) string {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "fd " + strconv.Itoa(fd)
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *unix.SockaddrUnix:
		return "unix:" + a.Name
	}
	return "fd " + strconv.Itoa(fd)
}

// Env describes sockets that will sit at fds 3… in a child.
func Env(socks []*Socket) []string {
	names := make([]string, len(socks))
	for i, s := range socks {
		names[i] = s.Name
	}
	return []string{EnvFDs + "=" + strconv.Itoa(len(socks)), EnvFDNames + "=" + strings.Join(names, ":")}
}

// Listener is a socket as a worker sees it.
type Listener struct {
	net.Listener
	Name string
}

// FromEnv rebuilds, in a worker, the listeners the master passed.
func FromEnv() ([]Listener, error) {
	n, err := strconv.Atoi(os.Getenv(EnvFDs))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%s=%q: no sockets passed (is this process started by the master?)", EnvFDs, os.Getenv(EnvFDs))
	}
	names := strings.Split(os.Getenv(EnvFDNames), ":")
	var out []Listener
	for i := 0; i < n; i++ {
		fd := 3 + i
		syscall.CloseOnExec(fd)
		name := "http"
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		f := os.NewFile(uintptr(fd), name)
		l, err := net.FileListener(f)
		f.Close() // FileListener holds its own dup
		if err != nil {
			return nil, fmt.Errorf("socket %d (%s): %w", fd, name, err)
		}
		out = append(out, Listener{Listener: l, Name: name})
	}
	return out, nil
}
