package doctor

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"
)

// Endpoint turns where resync listens into a base URL and a client for it.
// listen is `systemctl show -P Listen resync.socket` ("[::]:8000 (Stream)"),
// empty when there is no socket unit; bind is RESYNC_BIND, used then. A
// wildcard address is reached on loopback; a unix socket through a dialer.
func Endpoint(listen, bind string) (string, *http.Client) {
	addr := bind
	if first, _, _ := strings.Cut(strings.TrimSpace(listen), "\n"); first != "" {
		addr, _, _ = strings.Cut(first, " ")
	}
	path, isUnix := strings.CutPrefix(addr, "unix:")
	if !isUnix && strings.HasPrefix(addr, "/") {
		path, isUnix = addr, true
	}
	if isUnix {
		d := net.Dialer{Timeout: 5 * time.Second}
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}}
		return "http://localhost", &http.Client{Transport: tr}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil { // a bare port, as in ListenStream=8000
		host, port = "", addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), &http.Client{}
}
