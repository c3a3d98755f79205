package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/resync/resync/internal/clientip"
)

// Options configure the handler.
type Options struct {
	Logger *slog.Logger
	// Checks are the readiness checks; a failing one makes /health/ready 503.
	Checks map[string]Check
	// Probes are readiness checks with details, and may fail without 503.
	Probes map[string]Probe
	// Master, when set, mounts the metrics endpoints (RESYNC_METRICS=on).
	Master Master

	// Who may do what (see Guards). Clients is the one client-identity
	// function (nil trusts no proxy); Production closes the local-client
	// fallback.
	Clients    *clientip.Resolver
	Production bool
	AdminToken string   // RESYNC_ADMIN_TOKEN
	APITokens  []string // RESYNC_API_TOKENS
	// Session, when set, reports the user of a valid admin session (a
	// cookie); such a session opens both roles.
	Session func(r *http.Request) (user string, ok bool)

	// Routes lets other packages mount their routes on the root router,
	// behind the guards, without editing this package.
	Routes []func(r *mux.Router, g Guards)
	// Limit, when set, wraps every matched route (rate limiting). It runs
	// after routing (mux's Use), so it can name the route's template.
	Limit mux.MiddlewareFunc
	// Collectors add series of their own to /metrics (read when scraped).
	Collectors []prometheus.Collector
}

// Check reports whether one dependency is usable; nil means healthy.
type Check func() error

// New returns the routes. The middleware every request passes first —
// Begin, Limits, Recover, with the metrics and the access log — is put
// around them in one place, the worker's handler chain (worker.chain).
func New(o Options) http.Handler {
	r := mux.NewRouter()
	h := &health{started: time.Now(), checks: o.Checks, probes: o.Probes}
	api := r.PathPrefix("/api/v1").Subrouter()
	exact := &exactRoutes{paths: map[string]http.Handler{}, next: r}
	// A slice, not a map: mux's answer to a wrong method (405 or 404)
	// depends on the order routes were added, and a map's order is random.
	for _, rt := range []struct {
		path  string
		serve http.HandlerFunc
	}{{"/health/live", h.live}, {"/health/ready", h.ready}, {"/health/startup", h.startup}} {
		api.HandleFunc(rt.path, rt.serve).Methods(http.MethodGet, http.MethodHead)
		exact.paths["/api/v1"+rt.path] = rt.serve
	}
	if o.Limit != nil {
		r.Use(o.Limit)
	}
	g := newAccess(o).guards()
	mountMetrics(r, o, g)
	for _, mount := range o.Routes {
		mount(r, g)
	}
	if testRoutes != nil {
		testRoutes(r, g)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	})

	return exact
}

// testRoutes is set by the testhooks build only.
var testRoutes func(r *mux.Router, g Guards)
