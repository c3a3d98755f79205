package logging

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
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
	// Fast path: a worker logger's own handler gets the record encoded
	// directly, without building a slog.Record of 12 attributes.
	ph, direct := logger.Handler().(*pipeHandler)
	direct = direct && ph.prefix == ""
	logAccess := func(r *http.Request, w http.ResponseWriter, rw *recorder, status int, start time.Time) {
		end := time.Now()
		a := accessRecord{
			client: clients.Of(r).Addr, method: r.Method, path: r.URL.Path,
			query: r.URL.RawQuery, proto: r.Proto, status: status, bytes: rw.bytes,
			durationUS: end.Sub(start).Microseconds(), userAgent: r.UserAgent(),
			referer: r.Referer(), correlationID: headerValue(w.Header(), hdrCorrelationID),
		}
		if a.status == 0 {
			a.status = http.StatusOK
		}
		if a.correlationID == "" {
			a.correlationID = headerValue(r.Header, hdrCorrelationID)
		}
		if direct {
			_ = ph.writeAccess(end, &a)
			return
		}
		attrs := [...]slog.Attr{
			slog.String(keyKind, kindAccess),
			slog.String(keyClient, a.client),
			slog.String(keyMethod, a.method),
			slog.String(keyPath, a.path),
			slog.String(keyQuery, a.query),
			slog.String(keyProto, a.proto),
			slog.Int(keyStatus, a.status),
			slog.Int64(keyBytes, a.bytes),
			slog.Int64(keyDurationUS, a.durationUS),
			slog.String(keyUserAgent, a.userAgent),
			slog.String(keyReferer, a.referer),
			slog.String(keyCorrelationID, a.correlationID),
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
			rw := rwPool.Get().(*recorder)
			rw.ResponseWriter, rw.status, rw.bytes = w, 0, 0
			// Deferred, so that a request whose handler panics is logged too
			// (as 500 unless a status was sent). Not recovered: the panic
			// reaches net/http with its original stack.
			returned := false
			defer func() {
				status := rw.status
				if !returned && status == 0 {
					status = http.StatusInternalServerError
				}
				logAccess(r, w, rw, status, start)
				rw.ResponseWriter = nil
				rwPool.Put(rw)
			}()
			next.ServeHTTP(rw, r)
			returned = true
		})
	}
}

type accessRecord struct {
	client, method, path, query, proto string
	status                             int
	bytes, durationUS                  int64
	userAgent, referer, correlationID  string
}

// writeAccess encodes what LogAttrs would, attribute for attribute.
func (h *pipeHandler) writeAccess(t time.Time, a *accessRecord) error {
	bp := getBuf()
	b := appendWireHead((*bp)[:0], t, slog.LevelInfo, "request")
	mark := len(b)
	b = append(b, h.pre...)
	str := func(k, v string) {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ',')
		b = appendJSONString(b, v)
	}
	num := func(k string, v int64) {
		b = append(b, ',', '"')
		b = append(b, k...)
		b = append(b, '"', ',')
		b = strconv.AppendInt(b, v, 10)
	}
	str(keyKind, kindAccess)
	str(keyClient, a.client)
	str(keyMethod, a.method)
	str(keyPath, a.path)
	str(keyQuery, a.query)
	str(keyProto, a.proto)
	num(keyStatus, int64(a.status))
	num(keyBytes, a.bytes)
	num(keyDurationUS, a.durationUS)
	str(keyUserAgent, a.userAgent)
	str(keyReferer, a.referer)
	str(keyCorrelationID, a.correlationID)
	b = appendWireTail(b, mark)
	h.out.writeLater(b)
	*bp = b
	putBuf(bp)
	return nil
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

var rwPool = sync.Pool{New: func() any { return new(recorder) }}

// recorder notes the status and body size. Unwrap lets
// http.ResponseController reach Hijack, deadlines and the like.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
