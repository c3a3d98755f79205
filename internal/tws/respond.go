package tws

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/resync/resync/internal/cache"
	"github.com/resync/resync/internal/executor"
	"github.com/resync/resync/internal/hwa"
)

// meta is the original's cache meta plus source.
type meta struct {
	Cached     bool    `json:"cached"`
	AgeSeconds float64 `json:"age_seconds"`
	FetchedAt  string  `json:"fetched_at"`
	Freshness  string  `json:"freshness"` // live (< 2 s) | recent (< 10 s) | cached
	Source     string  `json:"source"`
	Simulated  bool    `json:"simulated,omitempty"`
	Stale      bool    `json:"stale,omitempty"`
	Error      string  `json:"upstream_error,omitempty"` // why stale was served
}

func metaOf(r cache.Result, simulated bool) meta {
	age := max(r.Age(), 0)
	fresh := "cached"
	switch {
	case age < 2*time.Second:
		fresh = "live"
	case age < 10*time.Second:
		fresh = "recent"
	}
	m := meta{Cached: r.Source != cache.FromUpstream, AgeSeconds: float64(age.Milliseconds()) / 1000,
		FetchedAt: r.FetchedAt.UTC().Format(time.RFC3339Nano), Freshness: fresh, Source: string(r.Source),
		Simulated: simulated, Stale: r.Source == cache.FromStale}
	if r.Err != nil {
		m.Error = publicReason(r.Err)
	}
	return m
}

// writeCached answers {<fragment>,"meta":…}: fragment is the cached
// `"data":…` part, written as it is (not copied), and meta is appended by
// hand, so that a hit costs no encoding and no copy of the data.
func writeCached(w http.ResponseWriter, r cache.Result, simulated bool) {
	var buf [320]byte
	tail := append(buf[:0], `,"meta":`...)
	tail = appendMeta(tail, metaOf(r, simulated))
	tail = append(tail, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(1+len(r.Value)+len(tail)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openBrace)
	_, _ = w.Write(r.Value)
	_, _ = w.Write(tail)
}

var openBrace = []byte{'{'}

// appendMeta appends m as encoding/json would encode it (a test holds them
// equal); by hand because it is on every cache hit.
func appendMeta(b []byte, m meta) []byte {
	b = append(b, `{"cached":`...)
	b = strconv.AppendBool(b, m.Cached)
	b = append(b, `,"age_seconds":`...)
	b = strconv.AppendFloat(b, m.AgeSeconds, 'f', -1, 64) // whole ms: never in the range JSON writes with an exponent
	b = append(b, `,"fetched_at":"`...)
	b = append(b, m.FetchedAt...) // RFC 3339: nothing to escape
	b = append(b, `","freshness":"`...)
	b = append(b, m.Freshness...)
	b = append(b, `","source":"`...)
	b = append(b, m.Source...)
	b = append(b, '"')
	if m.Simulated {
		b = append(b, `,"simulated":true`...)
	}
	if m.Stale {
		b = append(b, `,"stale":true`...)
	}
	if m.Error != "" {
		e, _ := json.Marshal(m.Error)
		b = append(b, `,"upstream_error":`...)
		b = append(b, e...)
	}
	return append(b, '}')
}

// writeText answers a cached text (a job log), its meta in headers.
func writeText(w http.ResponseWriter, r cache.Result, simulated bool) {
	m := metaOf(r, simulated)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(r.Value)))
	h.Set("X-Resync-Source", m.Source)
	h.Set("X-Resync-Age-Seconds", strconv.FormatFloat(m.AgeSeconds, 'f', 3, 64))
	h.Set("X-Resync-Fetched-At", m.FetchedAt)
	h.Set("X-Resync-Freshness", m.Freshness)
	if simulated {
		h.Set("X-Resync-Simulated", "true")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(r.Value)
}

func writeError(w http.ResponseWriter, code int, detail string) {
	b, _ := json.Marshal(map[string]string{"detail": detail})
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// badParam is a 400 naming the parameter.
func badParam(w http.ResponseWriter, name, why string) {
	writeError(w, http.StatusBadRequest, "invalid parameter "+name+": "+why)
}

// errNoEngine: RESYNC_TWS_URL is empty and no simulator stands in.
var errNoEngine = errors.New("no HWA engine is configured (RESYNC_TWS_URL)")

// publicReason is what a client may read about an upstream error: the kind
// and the path, never credentials (an *hwa.Error never holds them).
func publicReason(err error) string {
	var e *hwa.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

// fail answers an error from the cache or the engine.
func fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, executor.ErrBusy) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "busy: too much CPU-heavy work at once, retry shortly")
		return
	}
	if errors.Is(err, errNoEngine) {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	var e *hwa.Error
	if !errors.As(err, &e) {
		log.Error("tws request failed", "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	switch e.Kind {
	case hwa.KindNotFound:
		writeError(w, http.StatusNotFound, "not found in the plan")
	case hwa.KindBadRequest:
		writeError(w, http.StatusBadRequest, "the engine rejected the query: "+e.Detail)
	case hwa.KindAuth:
		log.Error("HWA engine refused resync's credentials", "upstream_path", e.Path, "status", e.Status)
		writeError(w, http.StatusBadGateway, "the HWA engine refused resync's credentials (status "+strconv.Itoa(e.Status)+")")
	case hwa.KindTimeout:
		writeError(w, http.StatusGatewayTimeout, "the HWA engine did not answer in time ("+e.Path+")")
	case hwa.KindUnavailable:
		secs := int(e.RetryAfter.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeError(w, http.StatusServiceUnavailable, "the HWA engine is unavailable: "+e.Detail)
	case hwa.KindMalformed:
		log.Error("malformed answer from the HWA engine", "upstream_path", e.Path, "error", e.Detail)
		writeError(w, http.StatusBadGateway, "the HWA engine sent a malformed answer ("+e.Path+")")
	default:
		log.Warn("HWA engine failed", "upstream_path", e.Path, "status", e.Status, "error", e.Detail)
		writeError(w, http.StatusBadGateway, "the HWA engine failed: "+e.Error())
	}
}
