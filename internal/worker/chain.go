package worker

import (
	"net/http"
	"time"

	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/httpstatus"
	"github.com/resync/resync/internal/protocol"
)

// chain is everything a request passes through, outermost first; the one
// place their order is written.
//
//  1. observe: one httpstatus.Writer for the whole request. It adds
//     Connection: close to an answer whose header goes out while the worker
//     drains (conns.beforeHeader), and records the status and bytes. After
//     the handler returns — or panics past Recover — the metrics (Recorder)
//     and the access log read that one record, and the request budget is
//     checked. Outermost, so that both see every answer, 414 and 503
//     included, with the correlation id Begin set.
//  2. httpapi.Begin: the correlation id, security headers, body bounds and
//     the request's deadline (503 past RESYNC_TIMEOUT).
//  3. httpapi.Limits: gunicorn's request-line and header limits (414, 431).
//  4. httpapi.Recover: a panic is a 500 for that request alone.
//  5. o.Handler: the routes (httpapi.New); rate limits run there, per route,
//     after matching (httpapi.Options.Limit).
func (w *worker) chain(o Options) http.Handler {
	h := o.Handler
	h = httpapi.Recover(w.log, h)
	h = httpapi.Limits(h)
	h = httpapi.Begin(w.cfg.Timeout, w.cfg.HeaderTimeout, h)
	return w.observe(h)
}

// observe is step 1 of chain.
func (w *worker) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.rec.Begin()
		sw := httpstatus.Get(rw, w.beforeHeader)
		returned := false
		defer func() {
			if !returned && sw.Status == 0 {
				// A panic Recover let through (http.ErrAbortHandler):
				// net/http aborts the response; it counts as a 500.
				sw.Status = http.StatusInternalServerError
			} else if sw.Status == 0 {
				sw.Status = http.StatusOK // nothing written: net/http sends 200
			}
			took := time.Since(start)
			w.rec.Done(sw.Status, took)
			w.access.Log(r, sw, took)
			httpstatus.Put(sw)
			w.spent()
		}()
		next.ServeHTTP(sw, r)
		returned = true
	})
}

// spent asks once to be replaced when the request budget is spent. The worker
// keeps serving: the master stops it only when the replacement is ready, so
// capacity never dips.
func (w *worker) spent() {
	if w.budget == 0 {
		return
	}
	if n := w.rec.Requests(); n >= w.budget {
		w.recycle.Do(func() {
			w.log.Info("request budget spent; asking to be recycled", "requests", n)
			notify(protocol.Recycle(protocol.RecycleMaxRequests, w.counters()))
		})
	}
}
