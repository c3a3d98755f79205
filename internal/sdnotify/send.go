package sdnotify

import (
	"strconv"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// Send delivers state to $NOTIFY_SOCKET. Outside systemd (no NOTIFY_SOCKET)
// it does nothing and reports sent=false, like go-systemd.
func Send(state string) (sent bool, err error) {
	return daemon.SdNotify(false, state)
}

// Reloading is the RELOADING=1 message. MONOTONIC_USEC lets systemd tell this
// reload apart from a stale one; without it, reload jobs have been seen to hang.
func Reloading() string {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	usec := ts.Sec*1_000_000 + ts.Nsec/1_000
	return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10) + "\n"
}
