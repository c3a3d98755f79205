package clientip

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	r := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("127.0.0.1/32")})
	type hdr = map[string][]string
	cases := []struct {
		name   string
		remote string
		h      hdr
		want   string
		local  bool
	}{
		{"peer", "192.0.2.1:80", nil, "192.0.2.1", false},
		{"untrusted peer: XFF ignored", "192.0.2.1:80", hdr{"X-Forwarded-For": {"203.0.113.7"}}, "192.0.2.1", false},
		{"untrusted peer: Forwarded ignored", "192.0.2.1:80", hdr{"Forwarded": {"for=203.0.113.7"}}, "192.0.2.1", false},
		{"untrusted peer: X-Real-IP ignored", "192.0.2.1:80", hdr{"X-Real-Ip": {"203.0.113.7"}}, "192.0.2.1", false},
		{"trusted proxy", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7"}}, "203.0.113.7", false},
		{"spoofed left part ignored", "10.0.0.1:80", hdr{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7, 10.9.9.9"}}, "203.0.113.7", false},
		{"several XFF lines", "10.0.0.1:80", hdr{"X-Forwarded-For": {"6.6.6.6", "203.0.113.7"}}, "203.0.113.7", false},
		{"all trusted: left-most", "10.0.0.1:80", hdr{"X-Forwarded-For": {"10.0.0.3, 10.0.0.2"}}, "10.0.0.3", false},
		{"garbage: stop at the proxy", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7, garbage"}}, "10.0.0.1", false},
		{"garbage left of client", "10.0.0.1:80", hdr{"X-Forwarded-For": {"garbage, 203.0.113.7"}}, "203.0.113.7", false},
		{"empty hop", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7,"}}, "10.0.0.1", false},
		{"XFF with port", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7:5555"}}, "203.0.113.7", false},
		{"XFF v6 bracketed", "10.0.0.1:80", hdr{"X-Forwarded-For": {"[2001:db8::1]:5555"}}, "2001:db8::1", false},
		{"XFF mapped v4", "10.0.0.1:80", hdr{"X-Forwarded-For": {"::ffff:203.0.113.7"}}, "203.0.113.7", false},
		{"XFF mapped trusted hop skipped", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7, ::ffff:10.0.0.5"}}, "203.0.113.7", false},
		{"XFF zone refused", "10.0.0.1:80", hdr{"X-Forwarded-For": {"fe80::1%eth0"}}, "10.0.0.1", false},
		{"no header from trusted", "10.0.0.1:80", nil, "10.0.0.1", false},
		{"v6 loopback proxy", "[::1]:80", hdr{"X-Forwarded-For": {"2001:db8::1"}}, "2001:db8::1", false},
		{"mapped peer", "[::ffff:192.0.2.1]:80", nil, "192.0.2.1", false},
		{"mapped trusted peer", "[::ffff:10.0.0.1]:80", hdr{"X-Forwarded-For": {"203.0.113.7"}}, "203.0.113.7", false},
		{"Forwarded", "10.0.0.1:80", hdr{"Forwarded": {"for=203.0.113.7;proto=https;by=10.0.0.1"}}, "203.0.113.7", false},
		{"Forwarded quoted v6 port", "10.0.0.1:80", hdr{"Forwarded": {`for="[2001:db8:cafe::17]:4711"`}}, "2001:db8:cafe::17", false},
		{"Forwarded quoted v4 port", "10.0.0.1:80", hdr{"Forwarded": {`For="203.0.113.7:4711"`}}, "203.0.113.7", false},
		{"Forwarded list from the right", "10.0.0.1:80", hdr{"Forwarded": {"for=6.6.6.6, for=203.0.113.7;proto=http, for=10.0.0.9"}}, "203.0.113.7", false},
		{"Forwarded by before for", "10.0.0.1:80", hdr{"Forwarded": {"proto=http; by=10.0.0.1; for=203.0.113.7"}}, "203.0.113.7", false},
		{"Forwarded unknown", "10.0.0.1:80", hdr{"Forwarded": {"for=203.0.113.7, for=unknown"}}, "10.0.0.1", false},
		{"Forwarded obfuscated", "10.0.0.1:80", hdr{"Forwarded": {"for=_hidden"}}, "10.0.0.1", false},
		{"Forwarded no for", "10.0.0.1:80", hdr{"Forwarded": {"proto=https"}}, "10.0.0.1", false},
		{"Forwarded unbracketed v6 refused", "10.0.0.1:80", hdr{"Forwarded": {`for="2001:db8::1]"`}}, "10.0.0.1", false},
		{"both agree", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7"}, "Forwarded": {"for=203.0.113.7"}}, "203.0.113.7", false},
		{"both disagree: peer", "10.0.0.1:80", hdr{"X-Forwarded-For": {"203.0.113.7"}, "Forwarded": {"for=6.6.6.6"}}, "10.0.0.1", false},
		{"X-Real-IP from trusted", "10.0.0.1:80", hdr{"X-Real-Ip": {"203.0.113.7"}}, "203.0.113.7", false},
		{"X-Real-IP garbage", "10.0.0.1:80", hdr{"X-Real-Ip": {"nope"}}, "10.0.0.1", false},
		{"XFF beats X-Real-IP", "10.0.0.1:80", hdr{"X-Real-Ip": {"6.6.6.6"}, "X-Forwarded-For": {"203.0.113.7"}}, "203.0.113.7", false},
		{"loopback is local", "127.0.0.1:5000", nil, "127.0.0.1", true},
		{"v6 loopback is local", "[::1]:5000", nil, "::1", true},
		{"other loopback is local", "127.0.0.2:5000", nil, "127.0.0.2", true},
		{"loopback proxy: not local", "127.0.0.1:5000", hdr{"X-Forwarded-For": {"203.0.113.7"}}, "203.0.113.7", false},
		{"loopback with spoofed local XFF: not local", "127.0.0.1:5000", hdr{"X-Forwarded-For": {"127.0.0.1"}}, "127.0.0.1", false},
		{"loopback with Forwarded: not local", "127.0.0.1:5000", hdr{"Forwarded": {"for=127.0.0.1"}}, "127.0.0.1", false},
		{"loopback with X-Real-IP: not local", "127.0.0.1:5000", hdr{"X-Real-Ip": {"127.0.0.1"}}, "127.0.0.1", false},
		{"unix peer", "@", nil, "-", true},
		{"unix peer empty", "", nil, "-", true},
		{"unix peer forwarded: not local", "@", hdr{"X-Forwarded-For": {"203.0.113.7"}}, "-", false},
		{"remote claims loopback via XFF", "192.0.2.1:80", hdr{"X-Forwarded-For": {"127.0.0.1"}}, "192.0.2.1", false},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		for k, v := range c.h {
			req.Header[k] = v
		}
		got := r.Of(req)
		if got.Addr != c.want || got.Local != c.local {
			t.Errorf("%s: remote %s headers %v: got %+v, want {%s %v}", c.name, c.remote, c.h, got, c.want, c.local)
		}
	}
}

// Trusting nobody, the peer is the client and only loopback is local,
// whatever the headers say.
func TestOfTrustingNobody(t *testing.T) {
	for _, r := range []*Resolver{nil, New(nil)} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = "192.0.2.1:80"
		req.Header.Set("X-Forwarded-For", "127.0.0.1")
		req.Header.Set("Forwarded", "for=127.0.0.1")
		req.Header.Set("X-Real-IP", "127.0.0.1")
		if got := r.Of(req); got != (Client{Addr: "192.0.2.1"}) {
			t.Errorf("spoofed: got %+v", got)
		}
		req.RemoteAddr = "127.0.0.1:80"
		if got := r.Of(req); got != (Client{Addr: "127.0.0.1"}) {
			t.Errorf("loopback with forwarding headers: got %+v", got)
		}
		req.Header = http.Header{}
		if got := r.Of(req); got != (Client{Addr: "127.0.0.1", Local: true}) {
			t.Errorf("loopback: got %+v", got)
		}
	}
}

func BenchmarkOf(b *testing.B) {
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "192.0.2.1:43210"
	run := func(b *testing.B, r *Resolver) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = r.Of(req)
		}
	}
	b.Run("nobody-trusted", func(b *testing.B) { run(b, New(nil)) })
	b.Run("untrusted-peer", func(b *testing.B) { run(b, New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})) })
}
