package monitoring

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/dashboard/twspage"
	"github.com/resync/resync/internal/httpapi"
)

// ErrNoRedis is why a worker without Redis monitors nothing: the snapshot,
// the events and the election all live there, and a poller of its own per
// worker would be neither one poller nor shared.
var ErrNoRedis = errors.New("live monitoring needs Redis: RESYNC_REDIS_URL is empty")

// mountOff answers every monitoring route with 503 and the reason: no data
// rather than data made up.
func (s *Service) mountOff(r *mux.Router, guard func(http.Handler) http.Handler) {
	off := guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"success": false, "detail": s.off.Error()})
	}))
	r.PathPrefix("/api/v1/monitoring/").Handler(off)
	r.Handle("/dashboard/tws", twspage.Handler()).Methods(http.MethodGet, http.MethodHead)
}

// Probe is checks.monitoring in readiness. Never critical: the TWS API
// serves without it. It fails when the service is off, and when nobody has
// committed a poll for three intervals (no candidate, or the engine down).
func (s *Service) Probe(ctx context.Context) httpapi.ProbeResult {
	f := map[string]any{"candidate": s.poller != nil, "upstream": s.upstream()}
	if s.off != nil {
		return httpapi.ProbeResult{Err: s.off, Fields: f}
	}
	if s.poller != nil {
		f["leading"] = s.poller.Stats().Leading.Load()
	}
	m, err := s.state.meta(ctx)
	if err != nil {
		return httpapi.ProbeResult{Err: err, Fields: f}
	}
	f["holder"] = m.Holder
	if !m.LastPoll.IsZero() {
		f["data_age_seconds"] = time.Since(m.LastPoll).Seconds()
	}
	if !s.running(m) {
		why := errors.New("no poll committed within three intervals")
		if m.LastError != "" {
			why = errors.New("no poll committed within three intervals; last error: " + m.LastError)
		}
		return httpapi.ProbeResult{Err: why, Fields: f}
	}
	return httpapi.ProbeResult{Fields: f}
}
