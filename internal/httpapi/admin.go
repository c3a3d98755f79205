package httpapi

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// admin guards the endpoints that act on every worker: with RESYNC_ADMIN_TOKEN
// set, a matching bearer token; without one, only clients on this host.
type admin struct{ token string }

func (a admin) only(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="resync"`)
				writeError(w, http.StatusUnauthorized, "admin token required")
				return
			}
		} else if !loopback(r.RemoteAddr) {
			writeError(w, http.StatusForbidden, "admin endpoints answer local clients only when RESYNC_ADMIN_TOKEN is not set")
			return
		}
		next(w, r)
	}
}

// loopback: a TCP peer on 127.0.0.0/8 or ::1, or a unix-socket peer (empty
// or "@" address), which can only be on this host.
func loopback(remote string) bool {
	if remote == "" || remote == "@" {
		return true
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
