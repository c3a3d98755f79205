package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/clientip"
)

// guarded mounts /admin and /operator through Options.Routes, the way other
// packages add their routes.
func guarded(o Options) http.Handler {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, "ok") })
	o.Routes = append(o.Routes, func(r *mux.Router, g Guards) {
		r.Handle("/admin", g.Admin(ok))
		r.Handle("/operator", g.Operator(ok))
		r.Handle("/login", g.NotCrossSite(ok))
	})
	return served(o, 0, 0)
}

func TestGuards(t *testing.T) {
	session := func(r *http.Request) (string, bool) {
		c, err := r.Cookie("sid")
		return "admin", err == nil && c.Value == "good"
	}
	dev := Options{}
	prod := Options{Production: true}
	tokens := Options{AdminToken: "adm", APITokens: []string{"op1", "op2"}, Production: true}
	proxied := Options{Clients: clientip.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")})}
	withSession := Options{AdminToken: "adm", Session: session, Production: true}
	local, remote := "127.0.0.1:5000", "192.0.2.1:5000"
	type hdr = map[string]string
	for _, c := range []struct {
		name   string
		o      Options
		method string
		path   string
		remote string
		h      hdr
		code   int
		detail string
	}{
		{"dev, no token, local admin", dev, "GET", "/admin", local, nil, 200, ""},
		{"dev, no token, local operator", dev, "GET", "/operator", local, nil, 200, ""},
		{"dev, no token, unix peer", dev, "GET", "/admin", "@", nil, 200, ""},
		{"dev, no token, remote", dev, "GET", "/admin", remote, nil, 403, "RESYNC_ADMIN_TOKEN"},
		{"dev, no token, remote operator", dev, "GET", "/operator", remote, nil, 403, "RESYNC_API_TOKENS"},
		{"dev, no token, same-host proxy", dev, "GET", "/admin", local, hdr{"X-Forwarded-For": "203.0.113.7"}, 403, "local clients only"},
		{"dev, no token, proxy with X-Real-IP", dev, "GET", "/operator", local, hdr{"X-Real-IP": "203.0.113.7"}, 403, ""},
		{"dev, no token, proxy with Forwarded", dev, "GET", "/operator", local, hdr{"Forwarded": "for=203.0.113.7"}, 403, ""},
		{"dev, trusted proxy forwarding loopback", proxied, "GET", "/admin", local, hdr{"X-Forwarded-For": "127.0.0.1"}, 403, ""},
		{"dev, remote spoofing loopback", dev, "GET", "/admin", remote, hdr{"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}, 403, ""},
		{"prod, no token, local", prod, "GET", "/admin", local, nil, 403, "closed in production until RESYNC_ADMIN_TOKEN is set"},
		{"prod, no token, local operator", prod, "GET", "/operator", local, nil, 403, "RESYNC_API_TOKENS"},
		{"prod, no token, any bearer", prod, "GET", "/admin", local, hdr{"Authorization": "Bearer "}, 403, ""},
		{"tokens, none sent", tokens, "GET", "/admin", local, nil, 401, "admin token required"},
		{"tokens, wrong", tokens, "GET", "/admin", local, hdr{"Authorization": "Bearer nope"}, 401, ""},
		{"tokens, prefix of admin", tokens, "GET", "/admin", local, hdr{"Authorization": "Bearer ad"}, 401, ""},
		{"tokens, basic scheme", tokens, "GET", "/admin", local, hdr{"Authorization": "Basic adm"}, 401, ""},
		{"tokens, admin", tokens, "GET", "/admin", remote, hdr{"Authorization": "Bearer adm"}, 200, ""},
		{"tokens, admin lower-case scheme", tokens, "GET", "/admin", remote, hdr{"Authorization": "bearer adm"}, 200, ""},
		{"tokens, operator on admin", tokens, "GET", "/admin", remote, hdr{"Authorization": "Bearer op1"}, 401, ""},
		{"tokens, operator 1", tokens, "GET", "/operator", remote, hdr{"Authorization": "Bearer op1"}, 200, ""},
		{"tokens, operator 2 (rotation)", tokens, "GET", "/operator", remote, hdr{"Authorization": "Bearer op2"}, 200, ""},
		{"tokens, admin on operator", tokens, "GET", "/operator", remote, hdr{"Authorization": "Bearer adm"}, 200, ""},
		{"tokens, none on operator", tokens, "GET", "/operator", local, nil, 401, "operator token required"},
		{"session, admin", withSession, "GET", "/admin", remote, hdr{"Cookie": "sid=good"}, 200, ""},
		{"session, operator", withSession, "GET", "/operator", remote, hdr{"Cookie": "sid=good"}, 200, ""},
		{"session, bad", withSession, "GET", "/admin", remote, hdr{"Cookie": "sid=bad"}, 401, ""},
		{"session, POST no origin", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good"}, 403, "cross-origin"},
		{"session, POST cross origin", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good", "Origin": "https://evil.example"}, 403, "cross-origin"},
		{"session, POST null origin", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good", "Origin": "null"}, 403, ""},
		{"session, POST same origin", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good", "Origin": "https://resync.example"}, 200, ""},
		{"session, POST same-origin referer", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good", "Referer": "https://resync.example/api/v1/metrics/dashboard"}, 200, ""},
		{"session, POST fetch metadata", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good", "Sec-Fetch-Site": "same-origin"}, 200, ""},
		{"session, POST cross-site fetch metadata", withSession, "POST", "/admin", remote, hdr{"Cookie": "sid=good", "Sec-Fetch-Site": "cross-site"}, 403, ""},
		{"login from curl", dev, "POST", "/login", remote, nil, 200, ""},
		{"login same origin", dev, "POST", "/login", remote, hdr{"Origin": "http://resync.example"}, 200, ""},
		{"login cross origin", dev, "POST", "/login", remote, hdr{"Origin": "https://evil.example"}, 403, "cross-origin"},
		{"login cross-site fetch", dev, "POST", "/login", remote, hdr{"Sec-Fetch-Site": "cross-site"}, 403, ""},
		{"login GET cross origin", dev, "GET", "/login", remote, hdr{"Origin": "https://evil.example"}, 200, ""},
		{"bearer POST needs no origin", withSession, "POST", "/admin", remote, hdr{"Authorization": "Bearer adm"}, 200, ""},
	} {
		req := httptest.NewRequest(c.method, "http://resync.example/"+strings.TrimPrefix(c.path, "/"), nil)
		req.RemoteAddr = c.remote
		for k, v := range c.h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		guarded(c.o).ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != c.code || !strings.Contains(body, c.detail) {
			t.Errorf("%s: %d %s, want %d containing %q", c.name, rec.Code, body, c.code, c.detail)
		}
		if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
		for _, secret := range []string{"adm\"", "op1", "op2", "good"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s: answer %q contains a credential", c.name, body)
			}
		}
	}
}
