package hwasim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/resync/resync/internal/hwa"
)

// Options configure a simulator. Zero values take the defaults.
type Options struct {
	Seed     uint64        // plan seed (default 1)
	Jobs     int           // jobs in the plan (default 2000)
	User     string        // Basic auth user (default "resync")
	Password string        // Basic auth password (default "resync")
	Tick     time.Duration // how often the plan advances by itself; 0 = only on Tick()
	// TickPlan is the plan time one tick stands for (default 1m): timestamps
	// in the answers move by this much per tick.
	TickPlan time.Duration
	Knobs    Knobs
}

// Knobs are the faults the simulator injects into the API (not the control
// endpoint). They can change at any time (SetKnobs, PUT /_sim/knobs).
type Knobs struct {
	LatencyMS int     `json:"latency_ms"` // added to every answer
	ErrorRate float64 `json:"error_rate"` // share answered 500
	Rate429   float64 `json:"rate_429"`   // share answered 429, Retry-After: 1
	Outage    bool    `json:"outage"`     // every request 503
	Hang      bool    `json:"hang"`       // hold every request until the client gives up
	Malformed bool    `json:"malformed"`  // JSON answers cut in half
}

// Server is a running simulator; its Handler serves the API.
type Server struct {
	opts Options

	mu   sync.RWMutex
	plan *plan

	kmu   sync.Mutex
	knobs Knobs
	krnd  *rand.Rand // fault draws, apart from the plan's so faults never change the plan

	cmu    sync.Mutex
	counts map[string]int64

	stop chan struct{}
	once sync.Once
	mux  *http.ServeMux
}

// New starts generating the plan and, if o.Tick > 0, advancing it; Close
// stops that. It returns before the plan is built (about 20 ms for 2000
// jobs): the build holds the plan's lock, so every read of the plan — an API
// answer, Tick, IDs — waits for it, and a master that embeds the simulator
// starts its workers meanwhile. Waiting, not 503 while warming: a client
// counts a 503 towards its circuit breaker and would show an engine fault
// that is none; its first answer is only a little slower.
func New(o Options) *Server {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Jobs <= 0 {
		o.Jobs = 2000
	}
	if o.User == "" {
		o.User = "resync"
	}
	if o.Password == "" {
		o.Password = "resync"
	}
	if o.TickPlan <= 0 {
		o.TickPlan = time.Minute
	}
	s := &Server{
		opts: o, knobs: o.Knobs, krnd: rand.New(rand.NewPCG(o.Seed, 7)),
		counts: map[string]int64{}, stop: make(chan struct{}),
	}
	start := time.Now().Truncate(time.Second)
	s.mu.Lock() // unlocked by the build: a locked RWMutex belongs to no goroutine
	go func() {
		defer s.mu.Unlock()
		s.plan = newPlan(o.Seed, o.Jobs, o.TickPlan, start)
		// Start a little into the day, so that a fresh simulator already
		// shows jobs running, done and failed.
		for range 30 {
			s.plan.step()
		}
	}()
	s.routes()
	if o.Tick > 0 {
		go s.run(o.Tick)
	}
	return s
}

func (s *Server) run(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.Tick(1)
		case <-s.stop:
			return
		}
	}
}

// Close stops the plan's clock.
func (s *Server) Close() { s.once.Do(func() { close(s.stop) }) }

// Handler serves the API under /twsd/api/v2/ and the control endpoint under /_sim/.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h func(http.ResponseWriter, *http.Request)) {
		m.Handle("GET /twsd/api/v2/"+pattern, s.guard(http.HandlerFunc(h)))
	}
	api("engine/info", s.engineInfo)
	api("plan/workstation", s.listOf(workstations))
	api("plan/workstation/{id}", s.oneOf(workstations))
	api("plan/job", s.listOf(jobs))
	api("plan/job/joblog", s.jobLog)
	api("plan/job/run/{run_id}/joblog", s.runLog)
	api("plan/job/{id}", s.oneOf(jobs))
	api("plan/job/{id}/predecessors", s.flow(false))
	api("plan/job/{id}/successors", s.flow(true))
	api("plan/jobstream", s.listOf(streams))
	api("plan/jobstream/{id}", s.oneOf(streams))
	api("plan/resource", s.listOf(resources))
	api("plan/resource/{id}", s.oneOf(resources))
	m.Handle("/twsd/", s.guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no such endpoint in the simulator", http.StatusNotFound)
	})))
	s.controlRoutes(m)
	s.mux = m
}

// guard counts the request, injects the knobs' faults and checks Basic auth.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cmu.Lock()
		s.counts[r.URL.Path]++
		s.cmu.Unlock()
		k, fail, tooMany := s.draw()
		if k.Hang {
			<-r.Context().Done()
			return
		}
		if k.LatencyMS > 0 {
			select {
			case <-time.After(time.Duration(k.LatencyMS) * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case k.Outage:
			http.Error(w, "engine unavailable (simulated outage)", http.StatusServiceUnavailable)
			return
		case tooMany:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests (simulated)", http.StatusTooManyRequests)
			return
		case fail:
			http.Error(w, "internal error (simulated)", http.StatusInternalServerError)
			return
		}
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.opts.User)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(s.opts.Password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="twsd"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if k.Malformed {
			w = &halfWriter{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) draw() (k Knobs, fail, tooMany bool) {
	s.kmu.Lock()
	defer s.kmu.Unlock()
	k = s.knobs
	fail = k.ErrorRate > 0 && s.krnd.Float64() < k.ErrorRate
	tooMany = k.Rate429 > 0 && s.krnd.Float64() < k.Rate429
	return k, fail, tooMany
}

// halfWriter sends half of each body: a malformed answer.
type halfWriter struct{ http.ResponseWriter }

func (h *halfWriter) Write(b []byte) (int, error) {
	_, err := h.ResponseWriter.Write(b[:len(b)/2])
	return len(b), err
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func oqlError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errorCode": "OQL_FILTER_SYNTAX_ERROR", "messages": []string{err.Error()},
	})
}

func badParam(w http.ResponseWriter, name string) {
	http.Error(w, "invalid parameter "+name, http.StatusBadRequest)
}

func notFound(w http.ResponseWriter, what, id string) {
	http.Error(w, fmt.Sprintf("no %s with id %q in the plan", what, id), http.StatusNotFound)
}

// list answers one page of items (pointers to hwa objects of type t) after
// the request's OQL, in the paginated envelope. The caller holds s.mu.
func list(w http.ResponseWriter, r *http.Request, t reflect.Type, items []reflect.Value) {
	q := r.URL.Query()
	limit, offset := 10000, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			badParam(w, "limit")
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			badParam(w, "offset")
			return
		}
		offset = n
	}
	parsed, err := parseOQL(q.Get("oql"), t)
	if err != nil {
		oqlError(w, err)
		return
	}
	matched := items[:0:0]
	for _, it := range items {
		if parsed.match(it) {
			matched = append(matched, it)
		}
	}
	parsed.sort(matched)
	page := matched[min(offset, len(matched)):min(offset+limit, len(matched))]
	results := make([]any, len(page))
	for i, it := range page {
		results[i] = it.Interface()
	}
	env := hwa.List[any]{Count: len(matched), Results: results}
	if offset+limit < len(matched) {
		env.Next = pageURL(r, limit, offset+limit)
	}
	if offset > 0 {
		env.Previous = pageURL(r, limit, max(offset-limit, 0))
	}
	writeJSON(w, env)
}

func pageURL(r *http.Request, limit, offset int) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q := r.URL.Query()
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(offset))
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}
