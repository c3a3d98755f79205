package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/resync/resync/internal/clientip"
)

// Guards wrap a handler so that only a client in a role reaches it. Packages
// that mount routes through Options.Routes wrap them with these; they are
// the only access rules of the HTTP surface.
//
//   - Admin: the endpoints that act on every worker (GC, the worker table).
//     A bearer RESYNC_ADMIN_TOKEN, or a valid session (Options.Session).
//   - Operator: the read routes of the TWS API. A bearer token of
//     RESYNC_API_TOKENS, or anything that opens Admin.
//
// With no token configured for a role, development mode lets Local clients
// (clientip: loopback or unix peer, no forwarding header) through; production
// mode lets nobody through but a session, and the 403 names the setting.
type Guards struct {
	Admin    func(http.Handler) http.Handler
	Operator func(http.Handler) http.Handler
	// NotCrossSite guards the routes that need no credential but must not
	// be driven by another site's page (login, logout): a state-changing
	// request a browser marks as coming from elsewhere (Origin,
	// Sec-Fetch-Site) is refused 403. A client that sends neither header
	// (curl, a script) is no browser, so it passes.
	NotCrossSite func(http.Handler) http.Handler
}

// Who a guard let through; CSRF checks apply to sessions only.
type credential int

const (
	none credential = iota
	bearer
	session
	local
)

// access holds what the guards decide by.
type access struct {
	clients    *clientip.Resolver
	production bool
	admin      []byte   // RESYNC_ADMIN_TOKEN, nil when unset
	operators  [][]byte // RESYNC_API_TOKENS
	session    func(*http.Request) (string, bool)
}

func newAccess(o Options) *access {
	a := &access{clients: o.Clients, production: o.Production, session: o.Session}
	if o.AdminToken != "" {
		a.admin = []byte(o.AdminToken)
	}
	for _, t := range o.APITokens {
		if t != "" {
			a.operators = append(a.operators, []byte(t))
		}
	}
	return a
}

func (a *access) guards() Guards {
	return Guards{Admin: a.guard(false), Operator: a.guard(true), NotCrossSite: notCrossSite}
}

// guard returns the middleware of one role.
func (a *access) guard(operator bool) func(http.Handler) http.Handler {
	setting, role := "RESYNC_ADMIN_TOKEN", "admin"
	if operator {
		setting, role = "RESYNC_API_TOKENS or RESYNC_ADMIN_TOKEN", "operator"
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch a.check(r, operator) {
			case bearer, local:
				next.ServeHTTP(w, r)
			case session:
				if !sameOrigin(r) {
					writeError(w, http.StatusForbidden, crossSiteDetail)
					return
				}
				next.ServeHTTP(w, r)
			default:
				switch {
				case a.configured(operator):
					w.Header().Set("WWW-Authenticate", `Bearer realm="resync"`)
					writeError(w, http.StatusUnauthorized, role+" token required")
				case a.production:
					writeError(w, http.StatusForbidden, role+" endpoints are closed in production until "+setting+" is set")
				default:
					writeError(w, http.StatusForbidden, role+" endpoints answer local clients only when "+setting+" is not set")
				}
			}
		})
	}
}

// configured: some token opens the role.
func (a *access) configured(operator bool) bool {
	return a.admin != nil || (operator && len(a.operators) > 0)
}

// check says which credential, if any, opens the role for r.
func (a *access) check(r *http.Request, operator bool) credential {
	if got, ok := bearerToken(r); ok {
		if a.admin != nil && subtle.ConstantTimeCompare(got, a.admin) == 1 {
			return bearer
		}
		if operator {
			// Every token is compared, so the time taken says nothing
			// about which one matched.
			match := 0
			for _, t := range a.operators {
				match |= subtle.ConstantTimeCompare(got, t)
			}
			if match == 1 {
				return bearer
			}
		}
	}
	if a.session != nil {
		if _, ok := a.session(r); ok {
			return session
		}
	}
	if !a.configured(operator) && !a.production && a.clients.Of(r).Local {
		return local
	}
	return none
}

func bearerToken(r *http.Request) ([]byte, bool) {
	v := r.Header.Get("Authorization")
	if len(v) < 7 || !strings.EqualFold(v[:7], "Bearer ") {
		return nil, false
	}
	return []byte(strings.TrimSpace(v[7:])), true
}

// sameOrigin is the CSRF check for requests authenticated by a session
// cookie, beside the cookie's SameSite=Strict: a request that changes state
// must name this host as its Origin (or, from older browsers, its Referer),
// or be marked same-origin by Fetch Metadata. Safe methods pass: they change
// nothing.
func sameOrigin(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" || origin == "null" {
		return false
	}
	_, rest, ok := strings.Cut(origin, "://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	return strings.EqualFold(host, r.Host)
}

const crossSiteDetail = "cross-origin request refused: a state-changing request of a browser session must come from this site"

func notCrossSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		browser := r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != ""
		if browser && !sameOrigin(r) {
			writeError(w, http.StatusForbidden, crossSiteDetail)
			return
		}
		next.ServeHTTP(w, r)
	})
}
