// Package clientip owns the one answer to "who is this HTTP client?" for the
// whole HTTP surface: the access log, rate limiting and the admin and
// operator guards all ask it, so they can never disagree.
//
// The client is the socket peer, unless the peer is a trusted proxy
// (RESYNC_TRUSTED_PROXIES): then the forwarding headers are read from the
// right, skipping trusted hops, and the first untrusted address is the
// client. Nobody else can choose the address that logs and limits see.
//
// A client is Local (on this host) only when the peer is loopback or a unix
// socket AND the request carries no forwarding header at all: a proxy on the
// same host connects from loopback, and what it forwards is not local.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Client is who sent a request.
type Client struct {
	// Addr is the client's IP address ("203.0.113.7", "2001:db8::1"), or
	// "-" for a unix-socket peer with nothing trustworthy forwarded.
	Addr string
	// Local: the peer is on this host and forwarded nobody else's request.
	Local bool
}

// Resolver resolves clients against a fixed list of trusted proxies.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that believes the forwarding headers of peers in
// trusted (config.LogConfig.TrustedPrefixes). New(nil) believes nobody.
func New(trusted []netip.Prefix) *Resolver {
	out := make([]netip.Prefix, 0, len(trusted))
	for _, p := range trusted {
		if p.IsValid() {
			out = append(out, p.Masked())
		}
	}
	return &Resolver{trusted: out}
}

// Canonical header names, indexed directly: Header.Get canonicalises (and
// may allocate) on every call, and Of is on every request's path.
const (
	hdrForwarded = "Forwarded"
	hdrXFF       = "X-Forwarded-For"
	hdrXRealIP   = "X-Real-Ip"
)

// Forwarded reports whether req carries any forwarding header.
func Forwarded(req *http.Request) bool {
	h := req.Header
	return len(h[hdrForwarded]) > 0 || len(h[hdrXFF]) > 0 || len(h[hdrXRealIP]) > 0
}

// Of returns the client of req. A nil Resolver trusts nobody.
func (r *Resolver) Of(req *http.Request) Client {
	host := req.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" || host == "@" { // a unix-socket peer has no IP address
		return Client{Addr: "-", Local: !Forwarded(req)}
	}
	var trusted []netip.Prefix
	if r != nil {
		trusted = r.trusted
	}
	// Fast path: nobody to trust and a plain peer address, so the peer it
	// is; only a loopback-looking one needs parsing to decide Local.
	if len(trusted) == 0 && !strings.HasPrefix(host, "::ffff:") &&
		!strings.HasPrefix(host, "127.") && host != "::1" {
		return Client{Addr: host}
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return Client{Addr: host} // not an IP (a test's fake peer): as is
	}
	peer = peer.Unmap()
	local := peer.IsLoopback() && !Forwarded(req)
	if strings.HasPrefix(host, "::ffff:") { // print a mapped v4 peer as v4
		host = peer.String()
	}
	if !contains(trusted, peer) {
		return Client{Addr: host, Local: local}
	}
	return Client{Addr: forwardedClient(req.Header, peer, trusted).String(), Local: local}
}

// forwardedClient reads the forwarding headers of a request from a trusted
// peer. When X-Forwarded-For and Forwarded are both present they must agree:
// a proxy that writes one passes the other through from its client
// unchanged, and we cannot tell which one it wrote, so a disagreement trusts
// neither and the peer is the client. X-Real-IP, one address set by the
// proxy, is read only when neither list is present.
func forwardedClient(h http.Header, peer netip.Addr, trusted []netip.Prefix) netip.Addr {
	xff, fwd := h[hdrXFF], h[hdrForwarded]
	switch {
	case len(xff) > 0 && len(fwd) > 0:
		a := walk(xff, peer, trusted, xffHop)
		if b := walk(fwd, peer, trusted, forwardedHop); a != b {
			return peer
		}
		return a
	case len(xff) > 0:
		return walk(xff, peer, trusted, xffHop)
	case len(fwd) > 0:
		return walk(fwd, peer, trusted, forwardedHop)
	}
	if v := h[hdrXRealIP]; len(v) == 1 {
		if a, ok := parseHost(strings.TrimSpace(v[0])); ok {
			return a
		}
	}
	return peer
}

// walk reads the hops of a forwarding header (all its lines, as one list)
// from the right. The first untrusted hop is the client; when every hop is
// trusted, the left-most. A hop that does not parse ends the walk at the last
// trusted address: whoever wrote it is not to be believed further left.
func walk(lines []string, peer netip.Addr, trusted []netip.Prefix, hop func(string) (netip.Addr, bool)) netip.Addr {
	client := peer
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for {
			cut := strings.LastIndexByte(rest, ',')
			a, ok := hop(strings.TrimSpace(rest[cut+1:]))
			if !ok {
				return client
			}
			client = a
			if !contains(trusted, a) {
				return a
			}
			if cut < 0 {
				break
			}
			rest = rest[:cut]
		}
	}
	return client
}

func xffHop(s string) (netip.Addr, bool) { return parseHost(s) }

// forwardedHop reads the for= parameter of one RFC 7239 forwarded-element:
// `for=192.0.2.60;proto=https`, `For="[2001:db8::17]:4711"`. "unknown" and
// obfuscated identifiers ("_hidden") are not addresses, so they end the walk.
// A quoted value holding a comma would split wrongly, but no valid node
// (an address, optional port) contains one.
func forwardedHop(elem string) (netip.Addr, bool) {
	for elem != "" {
		var pair string
		pair, elem, _ = strings.Cut(elem, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "for") {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		return parseHost(v)
	}
	return netip.Addr{}, false
}

// parseHost parses an address with an optional port: 192.0.2.1,
// 192.0.2.1:80, 2001:db8::1, [2001:db8::1], [2001:db8::1]:80. Zones are
// refused: they name an interface of the sender, not a client.
func parseHost(s string) (netip.Addr, bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || (end+1 < len(s) && s[end+1] != ':') {
			return netip.Addr{}, false
		}
		s = s[1:end]
	} else if strings.Count(s, ":") == 1 {
		s = s[:strings.IndexByte(s, ':')]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func contains(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// PeerTrusted reports whether req's socket peer is a trusted proxy, so that
// what it forwards besides the address (X-Forwarded-Proto) may be believed.
func (r *Resolver) PeerTrusted(req *http.Request) bool {
	if r == nil || len(r.trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && contains(r.trusted, peer.Unmap())
}
