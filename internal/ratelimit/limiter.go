package ratelimit

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
)

// Options configure a Limiter.
type Options struct {
	Default  config.Rate // RESYNC_RATE_LIMIT_DEFAULT
	Auth     config.Rate // RESYNC_RATE_LIMIT_AUTH, for /api/v1/auth/
	FailOpen bool        // RESYNC_RATE_LIMIT_FAIL=open
	Clients  *clientip.Resolver
	Logger   *slog.Logger
}

// Limiter is one worker's rate limiter.
type Limiter struct {
	gcra    *redis_rate.Limiter
	def     redis_rate.Limit
	auth    redis_rate.Limit
	o       Options
	refused refusals
	leases  leases
	outage  outage
	stats   stats
}

// New returns a Limiter counting in rdb.
func New(rdb redis.UniversalClient, o Options) *Limiter {
	return &Limiter{gcra: redis_rate.NewLimiter(rdb), def: limit(o.Default), auth: limit(o.Auth),
		o: o, refused: refusals{until: map[string]time.Time{}}, leases: leases{m: map[string]*lease{}}, outage: outage{log: o.Logger, open: o.FailOpen}}
}

func limit(r config.Rate) redis_rate.Limit {
	return redis_rate.Limit{Rate: r.N, Burst: r.N, Period: r.Per}
}

// Exempt paths: the load balancer's probes must never be refused.
const healthPrefix = "/api/v1/health/"

// Middleware limits every /api/v1/ route but health. It runs inside the
// router (mux's Use), so that the route's template names the budget.
func (l *Limiter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if !strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, healthPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		lim := l.def
		if strings.HasPrefix(path, "/api/v1/auth/") {
			lim = l.auth
		}
		if lim.Rate == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if l.allow(w, r, lim, route(r)) {
			next.ServeHTTP(w, r)
		}
	})
}

// route is the router's template for the request, or its path.
func route(r *http.Request) string {
	if cr := mux.CurrentRoute(r); cr != nil {
		if t, err := cr.GetPathTemplate(); err == nil {
			return t
		}
	}
	return r.URL.Path
}

// Key is the Redis key (after redis_rate's "rate:" prefix) of a client's
// budget on a route.
func Key(client, route string) string { return "{" + client + "|" + route + "}" }

// allow answers the request's limit decision; false means it has answered.
func (l *Limiter) allow(w http.ResponseWriter, r *http.Request, lim redis_rate.Limit, route string) bool {
	key := Key(l.o.Clients.Of(r).Addr, route)
	window := strconv.Itoa(int(lim.Period / time.Second))
	now := time.Now()
	ask := 1
	if size := leaseSize(lim); size > 1 {
		ok, remaining, prefetch, n := l.leases.take(key, now, size)
		if ok {
			if prefetch > 0 {
				go l.prefetch(key, lim, prefetch)
			}
			l.stats.leased.Add(1)
			admit(w, lim, window, remaining)
			return true
		}
		ask = n
	}
	if wait, ok := l.refused.check(key, now); ok {
		if ask > 1 {
			l.leases.filled(key, now, 0, 0, 0)
		}
		l.stats.localRefusals.Add(1)
		refuse(w, lim, window, wait)
		return false
	}
	var res *redis_rate.Result
	var err error
	if ask > 1 {
		// AllowAtMost counts what Redis has, up to ask, never more.
		res, err = l.gcra.AllowAtMost(r.Context(), key, lim, ask)
		allowed, remaining := 0, 0
		if err == nil {
			allowed, remaining = res.Allowed, res.Remaining
		}
		l.leases.filled(key, now, allowed, min(allowed, 1), remaining)
	} else {
		res, err = l.gcra.Allow(r.Context(), key, lim)
	}
	if err != nil {
		l.stats.errors.Add(1)
		l.outage.failed(err)
		if l.o.FailOpen {
			l.stats.failedOpen.Add(1)
			return true
		}
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, `{"detail":"Rate limiter unavailable"}`)
		return false
	}
	l.outage.ok()
	if res.Allowed == 0 {
		l.stats.refusals.Add(1)
		// From the request's start: never later than Redis's own answer.
		l.refused.remember(key, now.Add(res.RetryAfter))
		refuse(w, lim, window, res.RetryAfter)
		return false
	}
	l.stats.allowed.Add(1)
	// Redis's count, and the tokens this call leased beyond its own, which
	// Redis counted as used but this worker's next requests will use.
	admit(w, lim, window, res.Remaining+res.Allowed-1)
	return true
}

// prefetch leases n more tokens of key before this worker's run out, so
// that no request of a hot key waits for Redis. No request waits for it
// either: it runs on its own, bounded by the client's read timeout, and a
// failure only means the next request without a token asks for itself.
func (l *Limiter) prefetch(key string, lim redis_rate.Limit, n int) {
	start := time.Now()
	res, err := l.gcra.AllowAtMost(context.Background(), key, lim, n)
	if err != nil {
		l.leases.filled(key, start, 0, 0, 0)
		return
	}
	l.leases.filled(key, start, res.Allowed, 0, res.Remaining)
}

// admit sets the headers of an admitted request.
func admit(w http.ResponseWriter, lim redis_rate.Limit, window string, remaining int) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(lim.Rate))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Window", window)
}

// refuse answers 429 as the original did: Retry-After and X-RateLimit-Reset
// in whole seconds from now (rounded up, so a client that waits that long is
// admitted), and {"detail","retry_after"}. X-Correlation-ID is already set.
func refuse(w http.ResponseWriter, lim redis_rate.Limit, window string, wait time.Duration) {
	secs := strconv.Itoa(int((wait + time.Second - 1) / time.Second))
	h := w.Header()
	h.Set("Retry-After", secs)
	h.Set("X-RateLimit-Reset", secs)
	h.Set("X-RateLimit-Limit", strconv.Itoa(lim.Rate))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Window", window)
	writeJSON(w, http.StatusTooManyRequests, `{"detail":"Rate limit exceeded","retry_after":`+secs+`}`)
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}

// refusals remembers refused keys until their retry time.
type refusals struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// maxRemembered bounds the memory: past it, expired entries are swept, and
// if still full nothing new is remembered (Redis answers those instead).
const maxRemembered = 100_000

func (f *refusals) check(key string, now time.Time) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.until[key]
	if !ok {
		return 0, false
	}
	if !now.Before(t) {
		delete(f.until, key)
		return 0, false
	}
	return t.Sub(now), true
}

func (f *refusals) remember(key string, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.until) >= maxRemembered {
		now := time.Now()
		for k, u := range f.until {
			if !now.Before(u) {
				delete(f.until, k)
			}
		}
		if len(f.until) >= maxRemembered {
			return
		}
	}
	f.until[key] = t
}

// outage logs a Redis outage once when it begins and once when it ends.
type outage struct {
	log   *slog.Logger
	open  bool
	down  atomic.Bool
	since atomic.Int64 // unix nanoseconds
	count atomic.Int64 // failures in this outage
}

func (o *outage) failed(err error) {
	o.count.Add(1)
	if o.down.CompareAndSwap(false, true) {
		o.since.Store(time.Now().UnixNano())
		what := "serving without limits until it returns (RESYNC_RATE_LIMIT_FAIL=open)"
		if !o.open {
			what = "answering 503 until it returns (RESYNC_RATE_LIMIT_FAIL=closed)"
		}
		if o.log != nil {
			o.log.Error("rate limiter: redis unavailable; "+what, "error", err)
		}
	}
}

func (o *outage) ok() {
	if o.down.Load() && o.down.CompareAndSwap(true, false) {
		if o.log != nil {
			o.log.Warn("rate limiter: redis is back",
				"outage", time.Since(time.Unix(0, o.since.Load())).Round(time.Millisecond).String(),
				"failed_requests", o.count.Swap(0))
		}
	}
}
