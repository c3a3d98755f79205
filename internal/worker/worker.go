package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/listen"
	"github.com/resync/resync/internal/sdnotify"
)

// ErrBoot wraps failures that happen before serving: respawning cannot fix them.
var ErrBoot = errors.New("worker failed to boot")

// Hooks let the caller add to what a worker tells the master.
type Hooks struct {
	// Heartbeat returns extra KEY=VALUE lines for each WATCHDOG=1 message.
	Heartbeat func() string
	// GC runs on SIGUSR2 (the master's forced collection) and returns the
	// X_RESYNC_GC= value to send back.
	GC func() string
	// Drain runs when the drain begins: long-lived streams (SSE, WebSocket)
	// close there, so their clients reconnect to a serving worker instead of
	// holding this one for the whole graceful timeout.
	Drain func()
}

// Run serves handler until the master stops this worker. It returns nil after
// a clean drain.
func Run(cfg config.Config, handler http.Handler, log *slog.Logger, hooks Hooks) error {
	if err := bootHook(); err != nil {
		return err
	}
	listeners, err := listen.FromEnv()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBoot, err)
	}
	w := &worker{hooks: hooks, cfg: cfg, log: log, budget: budget(cfg.MaxRequests, cfg.MaxRequestsJitter), conns: newConns(cfg.Keepalive)}
	srv := &http.Server{
		Handler:           w.conns.closeAnswers(w.count(handler)),
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.Keepalive,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         w.conns.track,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR2)
	serveErr := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { serveErr <- srv.Serve(listener{Listener: l, cs: w.conns}) }()
	}
	notify("READY=1\nSTATUS=serving\n")

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
				notify(w.counters())
				return err
			case syscall.SIGINT, syscall.SIGQUIT:
				return srv.Close()
			case syscall.SIGUSR2:
				if hooks.GC != nil {
					// Off the loop: a full collection must not delay a heartbeat.
					go func() { notify("X_RESYNC_GC=" + hooks.GC() + "\n") }()
				}
			}
			// SIGHUP: the master reloads, not us; a terminal hangup must not kill workers.
		case err := <-serveErr:
			return fmt.Errorf("serve: %w", err)
		case <-beat.C:
			if os.Getppid() != ppid {
				log.Warn("master is gone; draining")
				return w.drain(srv, listeners, serveErr)
			}
			notify("WATCHDOG=1\n" + w.counters())
		}
	}
}

type worker struct {
	hooks   Hooks
	cfg     config.Config
	log     *slog.Logger
	budget  uint64 // 0 = never recycle
	served  atomic.Uint64
	recycle sync.Once
	conns   *conns
}

// count tallies requests and, when the budget is spent, asks once to be
// replaced. It keeps serving: the master stops it only when the replacement is
// ready, so capacity never dips.
func (w *worker) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(rw, r)
		if n := w.served.Add(1); w.budget > 0 && n >= w.budget {
			w.recycle.Do(func() {
				w.log.Info("request budget spent; asking to be recycled", "requests", n)
				notify("X_RESYNC_RECYCLE=max-requests\nX_RESYNC_REQUESTS=" + strconv.FormatUint(n, 10) + "\n")
			})
		}
	})
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
	notify("STOPPING=1\nSTATUS=draining\n")
	start := time.Now()
	w.conns.drain()
	if w.hooks.Drain != nil {
		w.hooks.Drain()
	}
	for _, l := range listeners {
		l.Close()
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

// counters are the X_RESYNC_ lines every heartbeat carries.
func (w *worker) counters() string {
	msg := "X_RESYNC_REQUESTS=" + strconv.FormatUint(w.served.Load(), 10) + "\n"
	if w.hooks.Heartbeat != nil {
		msg += w.hooks.Heartbeat()
	}
	return msg
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

func notify(state string) {
	_, _ = sdnotify.Send(state)
}
