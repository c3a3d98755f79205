package logging

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/httpstatus"
)

// AccessLog returns middleware that logs one info record per request on
// logger: kind=access, client, method, path, query, proto, status, bytes,
// duration_us, user_agent, referer and correlation_id (taken from the
// X-Correlation-ID response header an inner middleware sets, else from the
// request). With cfg.Access off it returns the handler unchanged.
//
// The client is clients.Of(r).Addr: the same identity rate limits and the
// admin guards see (package clientip). No request header other than
// User-Agent and Referer is logged, so credentials (Authorization, cookies)
// never reach the log.
func AccessLog(logger *slog.Logger, cfg config.LogConfig, clients *clientip.Resolver) func(http.Handler) http.Handler {
	if !cfg.Access {
		return func(h http.Handler) http.Handler { return h }
	}
	logAccess := func(r *http.Request, rw *httpstatus.Writer, status int, start time.Time) {
		if status == 0 {
			status = http.StatusOK
		}
		correlationID := headerValue(rw.Header(), hdrCorrelationID)
		if correlationID == "" {
			correlationID = headerValue(r.Header, hdrCorrelationID)
		}
		attrs := [...]slog.Attr{
			slog.String(keyKind, kindAccess), // first: see pipeHandler.Handle
			slog.String(keyClient, clients.Of(r).Addr),
			slog.String(keyMethod, r.Method),
			slog.String(keyPath, r.URL.Path),
			slog.String(keyQuery, r.URL.RawQuery),
			slog.String(keyProto, r.Proto),
			slog.Int(keyStatus, status),
			slog.Int64(keyBytes, rw.Bytes),
			slog.Int64(keyDurationUS, time.Since(start).Microseconds()),
			slog.String(keyUserAgent, r.UserAgent()),
			slog.String(keyReferer, r.Referer()),
			slog.String(keyCorrelationID, correlationID),
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:]...)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !logger.Enabled(r.Context(), slog.LevelInfo) {
				next.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			rw, release := httpstatus.Wrap(w)
			// Deferred, so that a request whose handler panics is logged too
			// (as 500 unless a status was sent). Not recovered: the panic
			// reaches net/http with its original stack.
			returned := false
			defer func() {
				status := rw.Status
				if !returned && status == 0 {
					status = http.StatusInternalServerError
				}
				logAccess(r, rw, status, start)
				release()
			}()
			next.ServeHTTP(rw, r)
			returned = true
		})
	}
}

// hdrCorrelationID is X-Correlation-ID in canonical form: Header.Get would
// canonicalise (and allocate) on every request.
const hdrCorrelationID = "X-Correlation-Id"

func headerValue(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}
