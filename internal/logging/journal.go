package logging

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	sdjournal "github.com/coreos/go-systemd/v22/journal"
	"golang.org/x/sys/unix"
)

// journalSocket is journald's native socket. Tests point it at their own
// unixgram socket (binaries built with -tags testhooks: TESTHOOK_JOURNAL_SOCKET,
// see hooks_testhooks.go); it is deliberately not configurable otherwise.
var journalSocket = "/run/systemd/journal/socket"

// stderrIsJournal reports whether stderr is the stream systemd connected to
// journald (JOURNAL_STREAM, systemd.exec(5)): go-systemd's check of fd 2.
// Tests, whose stderr is a file of their own, replace it.
var stderrIsJournal = func(*os.File) bool {
	ok, _ := sdjournal.StderrIsJournalStream() // a malformed JOURNAL_STREAM: not the journal
	return ok
}

// journal sends entries over journald's native protocol
// (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/): one datagram per entry, or,
// when the entry exceeds the datagram limit, an empty datagram carrying a
// sealed memfd with the entry, as sd_journal_sendv does. Only the
// journalQueue's sender uses it; its sends block for at most
// journalSendTimeout.
type journal struct {
	fd        int
	addr      *unix.SockaddrUnix
	connected bool // connect(2)ed: no path lookup per datagram
}

func openJournal(path string) (*journal, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open journald socket: %w", err)
	}
	// As libsystemd does: a large send buffer raises the datagram size limit,
	// so that fewer entries need a memfd. The kernel caps it at wmem_max.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<20)
	// A send blocked on a full journald returns EAGAIN after this long, so
	// that the sender can notice Close (see journalQueue).
	tv := unix.NsecToTimeval(journalSendTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("set journald send timeout: %w", err)
	}
	return &journal{fd: fd, addr: &unix.SockaddrUnix{Name: path}}, nil
}

// send sends one entry. The socket is connected once, which spares the
// kernel a path lookup per datagram (a third of the cost); if journald was
// restarted, the stale connection is refused and send connects again.
func (j *journal) send(b []byte) error {
	err := j.sendOnce(b)
	if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.ENOTCONN) {
		j.connected = false
		err = j.sendOnce(b)
	}
	return err
}

func (j *journal) sendOnce(b []byte) error {
	if !j.connected {
		if err := unix.Connect(j.fd, j.addr); err != nil {
			return fmt.Errorf("connect to journald %s: %w", j.addr.Name, err)
		}
		j.connected = true
	}
	err := unix.Sendmsg(j.fd, b, nil, nil, 0)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EMSGSIZE) && !errors.Is(err, unix.ENOBUFS) {
		return fmt.Errorf("send to journald %s: %w", j.addr.Name, err)
	}
	return j.sendMemfd(b)
}

// sendMemfd passes b in a memfd. journald refuses a memfd that is not sealed
// against writes, growth and shrinking: the receiver must be able to trust
// that the content it reads is the content that was sent.
func (j *journal) sendMemfd(b []byte) error {
	mfd, err := unix.MemfdCreate("resync-journal", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return fmt.Errorf("create journal memfd: %w", err)
	}
	defer unix.Close(mfd)
	for rest := b; len(rest) > 0; {
		n, err := unix.Write(mfd, rest)
		if err != nil {
			return fmt.Errorf("write journal memfd: %w", err)
		}
		rest = rest[n:]
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(mfd), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("seal journal memfd: %w", err)
	}
	if err := unix.Sendmsg(j.fd, nil, unix.UnixRights(mfd), nil, 0); err != nil {
		return fmt.Errorf("send memfd to journald %s: %w", j.addr.Name, err)
	}
	return nil
}

func (j *journal) close() error { return unix.Close(j.fd) }

// appendJournal serialises e in the native format. Values containing a
// newline use the binary-safe form: NAME\n, 64-bit little-endian length,
// data, \n. Attribute keys become field names (see fieldName).
func appendJournal(b []byte, e *entry, scratch []byte) []byte {
	switch {
	case e.access:
		scratch = appendCombined(scratch[:0], e)
		b = appendJournalField(b, "MESSAGE", scratch)
	case isRaw(e):
		// A worker's own stderr (a panic, a goroutine dump) stays verbatim.
		b = appendJournalField(b, "MESSAGE", e.msg)
	default:
		// `journalctl -u resync` shows MESSAGE alone: carry the attributes in
		// it too, as the text format does, so "worker died" says which and how.
		// They are also fields of their own, for -o json and matches.
		scratch = append(scratch[:0], e.msg...)
		for _, a := range e.attrs {
			scratch = append(scratch, ' ')
			scratch = appendTextAttr(scratch, a)
		}
		b = appendJournalField(b, "MESSAGE", scratch)
	}
	b = append(b, "PRIORITY="...)
	b = append(b, priority(e.level), '\n')
	b = append(b, "SYSLOG_IDENTIFIER=resync\n"...)
	for _, a := range e.attrs {
		scratch = appendValue(scratch[:0], a.val)
		b = appendJournalField(b, fieldName(a.key), scratch)
	}
	return b
}

func isRaw(e *entry) bool {
	for _, a := range e.attrs {
		if a.key == keyStream {
			return true
		}
	}
	return false
}

func appendJournalField[T string | []byte](b []byte, name string, v T) []byte {
	b = append(b, name...)
	if !containsNewline(v) {
		b = append(b, '=')
		b = append(b, v...)
		return append(b, '\n')
	}
	b = append(b, '\n')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(v)))
	b = append(b, v...)
	return append(b, '\n')
}

func containsNewline[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == '\n' {
			return true
		}
	}
	return false
}

// Fields the entry sets itself; an attribute with such a name gets a prefix
// rather than a second value (journald would keep both).
var ownFields = map[string]bool{
	"MESSAGE": true, "PRIORITY": true, "SYSLOG_IDENTIFIER": true, "SYSLOG_PID": true,
	"SYSLOG_FACILITY": true, "SYSLOG_TIMESTAMP": true, "MESSAGE_ID": true,
}

var fieldNames sync.Map // attribute key -> field name; keys come from code, so bounded

// fieldName maps an attribute key to a valid journal field name: upper case
// letters, digits and '_', not starting with a digit or '_' (a leading '_'
// marks fields only journald may set), at most 64 bytes. So worker_pid becomes
// WORKER_PID and req.method REQ_METHOD.
func fieldName(key string) string {
	if v, ok := fieldNames.Load(key); ok {
		return v.(string)
	}
	b := make([]byte, 0, len(key)+2)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c-'a'+'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	name := strings.TrimLeft(string(b), "_")
	if name == "" || (name[0] >= '0' && name[0] <= '9') || ownFields[name] {
		name = "F_" + name
	}
	if len(name) > 64 {
		name = name[:64]
	}
	fieldNames.Store(key, name)
	return name
}
