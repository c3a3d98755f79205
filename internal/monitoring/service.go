package monitoring

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/dashboard/twspage"
	"github.com/resync/resync/internal/feed"
	"github.com/resync/resync/internal/httpapi"
	"github.com/resync/resync/internal/poller"
)

// Options configure the service.
type Options struct {
	Redis redis.UniversalClient
	// Source snapshots the plan (poller.FromHWA); nil: this worker is no
	// candidate for the poller, and serves what others stored.
	Source    poller.Source
	Simulated bool // the engine is resync's own simulator: the page and the API say so
	Config    config.MonitoringConfig
	Log       *slog.Logger
	// Keys default to poller.KeysFor(""); tests give each run its own.
	Keys poller.Keys
}

// Service is one worker's monitoring.
type Service struct {
	o       Options
	keys    poller.Keys
	state   *state
	stream  *feed.Stream
	hub     *feed.Hub
	poller  *poller.Poller
	started time.Time

	off error // why this worker monitors nothing (ErrNoRedis), nil when it does

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New prepares the service; Start runs it. Without o.Redis it is off: no
// poller, and every route answers 503 saying why (ErrNoRedis).
func New(o Options) *Service {
	if o.Keys == (poller.Keys{}) {
		o.Keys = poller.KeysFor("")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Config.PollInterval = testInterval(o.Config.PollInterval)
	s := &Service{o: o, keys: o.Keys, state: &state{rdb: o.Redis, keys: o.Keys},
		stream: feed.NewStream(o.Redis, o.Keys.Stream), hub: feed.NewHub(), started: time.Now()}
	if o.Redis == nil {
		s.off = ErrNoRedis
		return s
	}
	if o.Source != nil {
		s.poller = poller.New(o.Redis, o.Source, poller.Config{Interval: o.Config.PollInterval,
			StuckAfter: o.Config.StuckAfter, Retention: int64(o.Config.Retention), LockTTL: o.Config.LockTTL,
			Keys: o.Keys}, o.Log)
	}
	return s
}

// Start runs the feed reader and, when there is a source, the poller
// candidate, until Drain.
func (s *Service) Start() {
	if s.off != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.wg.Add(1)
	go func() { defer s.wg.Done(); feed.Follow(ctx, s.stream, s.hub, feed.DefaultBlock, s.o.Log) }()
	if s.poller != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.poller.Run(ctx) }()
	}
}

// Drain closes every feed (SSE clients reconnect and resume, WebSocket
// clients get going-away) and steps the poller down, releasing its lock so
// that another worker takes over at once.
func (s *Service) Drain() {
	s.hub.Close()
	if s.stop != nil {
		s.stop()
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second): // a hung Redis must not hold the drain
		}
	}
}

// Hub is the worker's feed hub (tests, metrics).
func (s *Service) Hub() *feed.Hub { return s.hub }

// Poller is the worker's poller candidate, nil without a source.
func (s *Service) Poller() *poller.Poller { return s.poller }

// Mount adds the routes, each behind the operator guard.
func (s *Service) Mount(r *mux.Router, g httpapi.Guards) {
	guard := g.Operator
	if guard == nil {
		guard = func(h http.Handler) http.Handler { return h }
	}
	if s.off != nil {
		s.mountOff(r, guard)
		return
	}
	m := r.PathPrefix("/api/v1/monitoring").Subrouter()
	get := func(path string, h http.Handler) {
		m.Handle(path, guard(h)).Methods(http.MethodGet, http.MethodHead)
	}
	get("/status", http.HandlerFunc(s.status))
	get("/status/workstations", http.HandlerFunc(s.workstations))
	get("/status/jobs", http.HandlerFunc(s.jobs))
	get("/events", http.HandlerFunc(s.events))
	get("/events/stream", &feed.SSE{Hub: s.hub, Stream: s.stream, Log: s.o.Log})
	// The page holds no data (it reads the guarded API), like the metrics dashboard.
	r.Handle("/dashboard/tws", twspage.Handler()).Methods(http.MethodGet, http.MethodHead)
	get("/ws", &feed.WS{Hub: s.hub, Log: s.o.Log, Config: s.wsConfig(),
		Status: func(ctx context.Context) any { return s.snapshotView(ctx) }})
}

func (s *Service) wsConfig() map[string]any {
	return map[string]any{"polling_interval": int(s.interval() / time.Second),
		"recent_events": feed.RecentSize, "subscription_types": feed.Groups, "upstream": s.upstream()}
}

func (s *Service) interval() time.Duration {
	if s.o.Config.PollInterval > 0 {
		return s.o.Config.PollInterval
	}
	return 30 * time.Second
}

func (s *Service) upstream() string {
	if s.o.Simulated {
		return "simulator"
	}
	return "hwa"
}
