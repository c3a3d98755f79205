package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/listen"
	"github.com/resync/resync/internal/logging"
	"github.com/resync/resync/internal/metrics"
	"github.com/resync/resync/internal/protocol"
	"github.com/resync/resync/internal/sdnotify"
)

// Options are what a worker serves.
type Options struct {
	Handler        http.Handler // the routes (httpapi.New); chain puts the rest around them
	MaxHeaderBytes int          // what the handler's own limits were written for
	Logger         *slog.Logger
	Access         *logging.AccessLog // nil: no access log
	// Drain runs when the drain begins: long-lived streams (SSE, WebSocket)
	// close there, so their clients reconnect to a serving worker instead of
	// holding this one for the whole graceful timeout.
	Drain func()
	// Extra, if set, adds named numbers to every heartbeat's counters
	// (protocol.Counters.Extra): a package's own metrics.
	Extra func() map[string]int64
}

// Run serves until the master stops this worker. It returns nil after a
// clean drain, and an error wrapping protocol.ErrBoot when it cannot start.
func Run(cfg config.Config, o Options) error {
	if err := bootHook(); err != nil {
		return err
	}
	listeners, err := listen.FromEnv()
	if err != nil {
		return fmt.Errorf("%w: %w", protocol.ErrBoot, err)
	}
	log := o.Logger
	w := &worker{cfg: cfg, log: log, rec: metrics.NewRecorder(), access: o.Access, drainHook: o.Drain,
		extra: o.Extra, budget: budget(cfg.MaxRequests, cfg.MaxRequestsJitter), conns: newConns(cfg.Keepalive)}
	w.beforeHeader = w.conns.beforeHeader
	srv := &http.Server{
		Handler:           w.chain(o),
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.Keepalive,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		ConnState:         w.conns.track,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
	serveErr := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { serveErr <- srv.Serve(listener{Listener: l, cs: w.conns}) }()
	}
	notify(protocol.Ready())

	ppid := os.Getppid()
	beat := time.NewTicker(heartbeatEvery(cfg.Timeout))
	defer beat.Stop()
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM:
				err := w.drain(srv, listeners, serveErr)
				// The last word: what this worker served since its last heartbeat.
				notify(protocol.Final(w.counters()))
				return err
			case syscall.SIGINT, syscall.SIGQUIT:
				return srv.Close()
			case syscall.SIGUSR2:
				// Off the loop: a full collection must not delay a heartbeat.
				go func() { notify(protocol.GCAnswer(freeMemory())) }()
			}
			// SIGHUP: the master reloads, not us; a terminal hangup must not kill workers.
		case err := <-serveErr:
			return fmt.Errorf("serve: %w", err)
		case <-beat.C:
			if os.Getppid() != ppid {
				log.Warn("master is gone; draining")
				return w.drain(srv, listeners, serveErr)
			}
			notify(protocol.Heartbeat(w.counters()))
		}
	}
}

type worker struct {
	cfg    config.Config
	log    *slog.Logger
	rec    *metrics.Recorder // the one count of requests: heartbeats, budget, metrics
	access *logging.AccessLog
	// beforeHeader is conns.beforeHeader, bound once: a method value made
	// per request would allocate.
	beforeHeader func(http.Header)
	drainHook    func()
	extra        func() map[string]int64
	budget       uint64 // 0 = never recycle
	recycle      sync.Once
	conns        *conns
}

// drain stops accepting and ends every connection without losing a request
// (the rule is in doc.go): each connection's next answer carries
// Connection: close, an idle one is closed once idle for drainIdle, and every
// close is a half-close that reads what the peer still sends.
//
// Not http.Server.Shutdown, nor SetKeepAlivesEnabled(false): both close idle
// keep-alive connections at once — including one on which the client is
// sending its next request at that moment, which it then loses — and net/http
// then closes a connection after an answer that did not say so. Here the
// listeners close first; once every Serve loop has returned, every accepted
// connection is known to the tracker.
func (w *worker) drain(srv *http.Server, listeners []listen.Listener, serveErr <-chan error) error {
	start := time.Now()
	w.conns.drain()
	for _, l := range listeners {
		l.Close()
	}
	// After the close: a reload is done only once no old worker can accept
	// a connection (the master waits for this message).
	notify(protocol.Stopping())
	if w.drainHook != nil {
		w.drainHook()
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.GracefulTimeout)
	defer cancel()
	for range listeners {
		select {
		case <-serveErr:
		case <-ctx.Done():
		}
	}
	open := w.conns.count()
	err := w.conns.wait(ctx)
	w.log.Info("drained", "connections", open, "answered_close", w.conns.answeredClose.Load(),
		"idle_closed", w.conns.idleClosed.Load(), "max_idle_gap", time.Duration(w.conns.maxGap.Load()), "took", time.Since(start))
	srv.Close()
	if err != nil {
		return fmt.Errorf("drain: %d connections left after %s: %w", w.conns.count(), w.cfg.GracefulTimeout, err)
	}
	return nil
}

// budget adds jitter so that workers started together are not recycled together.
func budget(max, jitter int) uint64 {
	if max <= 0 {
		return 0
	}
	if jitter > 0 {
		max += rand.IntN(jitter + 1)
	}
	return uint64(max)
}

// heartbeatEvery is well inside the master's RESYNC_TIMEOUT: a missed beat or
// two under load must not cost a worker its life.
func heartbeatEvery(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

// notify tells the master. A failure is not logged: the master's notify
// socket outlives every worker, and a worker that cannot reach it is killed
// for silence, which is logged.
func notify(state string) {
	_, _ = sdnotify.Send(state)
}

// freeMemory is the answer to the master's SIGUSR2: a forced collection.
func freeMemory() string {
	res, err := metrics.FreeMemory()
	if err != nil {
		res = metrics.GCWorker{PID: os.Getpid(), Error: err.Error()}
	}
	b, _ := json.Marshal(res)
	return string(b)
}

// counters are the request counts with the Extra series, for a heartbeat.
func (w *worker) counters() protocol.Counters {
	c := w.rec.Counters()
	if w.extra != nil {
		c.Extra = w.extra()
	}
	return c
}
