package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// Options configure the handler.
type Options struct {
	Logger  *slog.Logger
	Timeout time.Duration // per request; past it the client gets 503
	// Checks are the readiness checks; a failing one makes /health/ready 503.
	Checks map[string]Check
	// Master, when set, mounts the metrics endpoints (RESYNC_METRICS=on).
	Master     Master
	AdminToken string
}

// Check reports whether one dependency is usable; nil means healthy.
type Check func() error

// New returns the complete handler: routes wrapped in the middleware chain.
// The order matters: the correlation id is set first so that every response —
// 414, 431, a timeout's 503, a panic's 500 — carries it; the deadline covers
// everything after it.
func New(o Options) http.Handler {
	r := mux.NewRouter()
	h := &health{started: time.Now(), checks: o.Checks}
	api := r.PathPrefix("/api/v1").Subrouter()
	api.HandleFunc("/health/live", h.live).Methods(http.MethodGet, http.MethodHead)
	api.HandleFunc("/health/ready", h.ready).Methods(http.MethodGet, http.MethodHead)
	api.HandleFunc("/health/startup", h.startup).Methods(http.MethodGet, http.MethodHead)
	mountMetrics(r, o)
	if testRoutes != nil {
		testRoutes(r)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	})

	var handler http.Handler = r
	handler = recoverPanics(o.Logger, handler)
	handler = limits(handler)
	handler = begin(o.Timeout, handler)
	return handler
}

// testRoutes is set by the testhooks build only.
var testRoutes func(r *mux.Router)
