package logging

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/httpstatus"
)

// AccessLog writes one info record per answered request: kind=access,
// client, method, path, query, proto, status, bytes, duration_us,
// user_agent, referer and correlation_id (taken from the X-Correlation-ID
// response header, else from the request). The worker's handler chain calls
// Log once per request (worker.chain), with the one httpstatus.Writer the
// metrics read too.
//
// The client is clients.Of(r).Addr: the same identity rate limits and the
// admin guards see (package clientip). No request header other than
// User-Agent and Referer is logged, so credentials (Authorization, cookies)
// never reach the log.
type AccessLog struct {
	log     *slog.Logger // the worker's batched logger: see Worker
	clients *clientip.Resolver
}

// AccessLog returns the worker's access log, or nil with cfg.Access off.
func (w *Worker) AccessLog(cfg config.LogConfig, clients *clientip.Resolver) *AccessLog {
	if !cfg.Access {
		return nil
	}
	return &AccessLog{log: w.access, clients: clients}
}

// Log records r, answered as sw says, took after it began. Nil logs nothing.
func (a *AccessLog) Log(r *http.Request, sw *httpstatus.Writer, took time.Duration) {
	if a == nil || !a.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	status := sw.Status
	if status == 0 {
		status = http.StatusOK // a handler that wrote nothing: net/http sends 200
	}
	correlationID := headerValue(sw.Header(), hdrCorrelationID)
	if correlationID == "" {
		correlationID = headerValue(r.Header, hdrCorrelationID)
	}
	attrs := [...]slog.Attr{
		slog.String(keyKind, kindAccess),
		slog.String(keyClient, a.clients.Of(r).Addr),
		slog.String(keyMethod, r.Method),
		slog.String(keyPath, r.URL.Path),
		slog.String(keyQuery, r.URL.RawQuery),
		slog.String(keyProto, r.Proto),
		slog.Int(keyStatus, status),
		slog.Int64(keyBytes, sw.Bytes),
		slog.Int64(keyDurationUS, took.Microseconds()),
		slog.String(keyUserAgent, r.UserAgent()),
		slog.String(keyReferer, r.Referer()),
		slog.String(keyCorrelationID, correlationID),
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:]...)
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
