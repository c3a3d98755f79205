package tws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/cache"
	"github.com/resync/resync/internal/executor"
	"github.com/resync/resync/internal/hwa"
	"github.com/resync/resync/internal/lazy"
)

// TTLs are how long each class of data is served from the cache.
type TTLs struct {
	JobStatus time.Duration // jobs, workstations, job streams, the status summary
	JobLog    time.Duration
	Model     time.Duration // engine info, definitions
	Graph     time.Duration // predecessors, successors
	Default   time.Duration // resources, anything else
}

// Options configure the service.
type Options struct {
	Client    *hwa.Client // nil: no engine; every route answers 503
	Cache     *cache.Cache
	TTL       TTLs
	Executor  *executor.Pool
	Logger    *slog.Logger
	Simulated bool // the engine is resync's own simulator: said in every meta
}

// Service is the TTL-cached view of the engine.
type Service struct {
	o     Options
	graph *lazy.Value[*graph] // the dependency-graph index, built on first use (graph.go)
}

// New returns the service.
func New(o Options) *Service {
	if o.Executor == nil {
		o.Executor = executor.New(4)
	}
	if o.Cache == nil {
		o.Cache = cache.New(cache.Options{})
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{o: o}
	s.graph = s.newGraph()
	return s
}

// Mount adds the routes under /api/v1/tws to r, each wrapped by guard (the
// operator-identity check; nil = none).
func (s *Service) Mount(r *mux.Router, guard func(http.Handler) http.Handler) {
	if guard == nil {
		guard = func(h http.Handler) http.Handler { return h }
	}
	sub := r.PathPrefix("/api/v1/tws").Subrouter()
	get := func(path string, h http.HandlerFunc) {
		sub.Handle(path, guard(h)).Methods(http.MethodGet, http.MethodHead)
	}
	t := s.o.TTL
	get("/engine", s.engine)
	get("/status", s.status)
	get("/workstations", s.listRoute("workstations", t.JobStatus, func(ctx context.Context, c *hwa.Client, p hwa.Page) (any, int, error) {
		l, err := c.Workstations(ctx, hwa.NameFilter{}, p)
		return views(l.Results), l.Count, err
	}))
	get("/workstations/{name}", s.workstation)
	get("/jobs", s.jobs)
	get("/jobs/{id}", s.oneRoute("job", t.JobStatus, func(ctx context.Context, c *hwa.Client, id string) (any, error) {
		return c.Job(ctx, id)
	}))
	get("/jobs/{id}/predecessors", s.flow("predecessors"))
	get("/jobs/{id}/successors", s.flow("successors"))
	get("/jobs/{id}/log", s.jobLog)
	get("/jobstreams", s.listRoute("jobstreams", t.JobStatus, func(ctx context.Context, c *hwa.Client, p hwa.Page) (any, int, error) {
		l, err := c.JobStreams(ctx, hwa.NameFilter{}, p)
		return l.Results, l.Count, err
	}))
	get("/jobstreams/{id}", s.oneRoute("jobstream", t.JobStatus, func(ctx context.Context, c *hwa.Client, id string) (any, error) {
		return c.JobStream(ctx, id)
	}))
	get("/resources", s.listRoute("resources", t.Default, func(ctx context.Context, c *hwa.Client, p hwa.Page) (any, int, error) {
		l, err := c.Resources(ctx, hwa.NameFilter{}, p)
		return l.Results, l.Count, err
	}))
	get("/resources/{id}", s.oneRoute("resource", t.Default, func(ctx context.Context, c *hwa.Client, id string) (any, error) {
		return c.Resource(ctx, id)
	}))
}

// Boot runs as the worker boots, before it serves. It builds nothing: the
// HWA client's TLS and the dependency-graph index are built on first use.
// Only a testhooks build asked for it (TESTHOOK_EAGER_LAZY=tls,graph or all)
// builds them here, to measure what that would cost at boot.
func (s *Service) Boot() error {
	if s.o.Client == nil {
		return nil
	}
	if eagerLazy("tls") {
		if err := s.o.Client.Warm(); err != nil {
			return err
		}
	}
	if eagerLazy("graph") {
		if _, err := s.graph.Get(); err != nil {
			return err
		}
	}
	return nil
}

// Check is the readiness check: failing while the breaker is open.
func (s *Service) Check() error {
	if s.o.Client == nil {
		return errNoEngine
	}
	if st := s.o.Client.BreakerState(); st == "open" {
		return fmt.Errorf("HWA engine: circuit breaker open")
	}
	return nil
}

// Cache is the service's cache (for its metrics).
func (s *Service) Cache() *cache.Cache { return s.o.Cache }

// Executor is the service's bounded executor (for its metrics).
func (s *Service) Executor() *executor.Pool { return s.o.Executor }

// keyPrefix namespaces the service's cache keys (v1: the fragment's shape).
const keyPrefix = "tws:v1:"

// fetch reads the engine for one answer.
type fetch func(ctx context.Context, c *hwa.Client) (any, error)

// cached answers key from the cache, filling it with f's data encoded as the
// `"data":…` fragment (plus extra fields f's value brings, see page).
func (s *Service) cached(ctx context.Context, key string, ttl time.Duration, f fetch) (cache.Result, error) {
	if s.o.Client == nil {
		return cache.Result{}, errNoEngine
	}
	return s.o.Cache.Get(ctx, keyPrefix+key, ttl, func(ctx context.Context) ([]byte, error) {
		v, err := f(ctx, s.o.Client)
		if err != nil {
			return nil, noStaleFor(err)
		}
		return s.fragment(v)
	})
}

// noStaleFor marks errors for which an old answer would be wrong, not late:
// the thing is gone, or the question is invalid.
func noStaleFor(err error) error {
	if hwa.IsKind(err, hwa.KindNotFound) || hwa.IsKind(err, hwa.KindBadRequest) {
		return fmt.Errorf("%w: %w", cache.ErrNoStale, err)
	}
	return err
}

// page is a list answer: its fragment carries count and links beside data.
type page struct {
	Data  any   `json:"data"`
	Count int   `json:"count"`
	Links links `json:"links"`
}

type links struct {
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
}

// bigPage is where encoding a list is CPU work worth bounding.
const bigPage = 500

// fragment encodes v as `"data":…` (or a page's fields), in the executor
// when it is large.
func (s *Service) fragment(v any) ([]byte, error) {
	enc := func() ([]byte, error) {
		var b []byte
		var err error
		if p, ok := v.(page); ok {
			b, err = json.Marshal(p)
		} else {
			b, err = json.Marshal(struct {
				Data any `json:"data"`
			}{v})
		}
		if err != nil {
			return nil, fmt.Errorf("encode answer: %w", err)
		}
		return b[1 : len(b)-1], nil // the fields, without the braces
	}
	if p, ok := v.(page); ok && p.Count > bigPage {
		var out []byte
		err := s.o.Executor.Run(func() error {
			var err error
			out, err = enc()
			return err
		})
		return out, err
	}
	return enc()
}

// serve answers a JSON route.
func (s *Service) serve(w http.ResponseWriter, r *http.Request, key string, ttl time.Duration, f fetch) {
	res, err := s.cached(r.Context(), key, ttl, f)
	if err != nil {
		fail(w, r, s.o.Logger, unwrapNoStale(err))
		return
	}
	if res.Err != nil {
		s.o.Logger.Warn("serving stale TWS data", "path", r.URL.Path, "age_seconds", int(res.Age().Seconds()), "error", res.Err)
	}
	writeCached(w, res, s.o.Simulated)
}

// unwrapNoStale strips the cache marker so the engine's error is answered.
func unwrapNoStale(err error) error {
	var e *hwa.Error
	if errors.As(err, &e) {
		return e
	}
	return err
}
