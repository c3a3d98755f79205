package loadclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Options say where the load goes and how many clients of each kind send it.
type Options struct {
	// Network is "tcp" (the default) or "unix"; Addr is host:port or a path.
	Network, Addr string
	// Host is the Host header; Addr when empty.
	Host string
	// GetPath is what GETs ask for; /api/v1/health/live when empty.
	GetPath string
	// GetStatus is the status a GET must get; 200 when zero.
	GetStatus int
	// PostPath is where POSTs go; GetPath when empty. PostStatus is the
	// status they must get; when zero, any complete answer below 500 will do:
	// the health endpoints do not take POST, and a refusal still makes the
	// server deal with a body its handler never reads — what a drain must not
	// turn into a reset.
	PostPath   string
	PostStatus int
	// PostBody is each POST's body; 512 bytes of JSON when empty.
	PostBody []byte
	// KeepAlive, Fresh and Post are the number of clients of each kind.
	KeepAlive, Fresh, Post int
	// Timeout bounds each request, from dial to the last body byte; 10 s
	// when zero. Past it the request counts as failed (kind "timeout").
	Timeout time.Duration
}

func (o *Options) defaults() {
	if o.Network == "" {
		o.Network = "tcp"
	}
	if o.Host == "" {
		o.Host = o.Addr
		if o.Network == "unix" {
			o.Host = "localhost"
		}
	}
	if o.GetPath == "" {
		o.GetPath = "/api/v1/health/live"
	}
	if o.GetStatus == 0 {
		o.GetStatus = 200
	}
	if o.PostPath == "" {
		o.PostPath = o.GetPath
	}
	if o.PostBody == nil {
		o.PostBody = defaultBody()
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
}

// Load is a running load; Stop ends it and returns what happened.
type Load struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ok     atomic.Int64
	closes atomic.Int64 // answers that said Connection: close on a keep-alive client

	mu       sync.Mutex
	failures []Failure
	byKind   map[string]int64
}

// Start begins sending. It returns at once; the clients run until Stop.
func Start(o Options) *Load {
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{opts: o, ctx: ctx, cancel: cancel, byKind: map[string]int64{}}
	for kind, n := range map[Client]int{KeepAliveGET: o.KeepAlive, FreshGET: o.Fresh, KeepAlivePOST: o.Post} {
		for range n {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				l.run(kind)
			}()
		}
	}
	return l
}

// OK is the number of requests answered as expected so far.
func (l *Load) OK() int64 { return l.ok.Load() }

// Failed is the number of failed requests so far.
func (l *Load) Failed() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.failures))
}

// WaitOK waits until n more requests have been answered, proving the load
// reaches the server, or returns an error after timeout.
func (l *Load) WaitOK(n int64, timeout time.Duration) error {
	target := l.ok.Load() + n
	deadline := time.Now().Add(timeout)
	for l.ok.Load() < target {
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for %d answers: only %d in %s", n, n-(target-l.ok.Load()), timeout)
		}
		time.Sleep(5 * time.Millisecond) // polling a counter, not synchronisation
	}
	return nil
}

// Stop ends the load: requests cut short by Stop itself are not counted.
func (l *Load) Stop() Result {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Result{OK: l.ok.Load(), Closes: l.closes.Load(), Failures: l.failures, ByKind: map[string]int64{}}
	for k, v := range l.byKind {
		r.ByKind[k] = v
	}
	return r
}

// run is one client: requests back to back until the load stops.
func (l *Load) run(kind Client) {
	var c *conn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	for l.ctx.Err() == nil {
		if c == nil {
			c = &conn{}
		}
		closeAfter, err := c.roundTrip(l.ctx, &l.opts, kind)
		if l.ctx.Err() != nil {
			return // cut short by Stop: not the server's doing
		}
		if err != nil {
			l.fail(kind, c.answered > 0, err)
			c.close()
			c = nil
			continue
		}
		l.ok.Add(1)
		if closeAfter || kind == FreshGET {
			if closeAfter && kind != FreshGET {
				l.closes.Add(1)
			}
			c.close()
			c = nil
		}
	}
}

func (l *Load) fail(client Client, reused bool, err error) {
	f := Failure{Client: client, Kind: kindOf(err), Reused: reused, At: time.Now(), Err: err.Error()}
	var se *statusError
	if errors.As(err, &se) {
		f.Status = se.got
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, f)
	l.byKind[f.Client.String()+" "+f.Kind]++
}

// Requests runs a load until n requests are answered and returns how long
// that took: a benchmark's round. Any failure is an error, since a benchmark
// compares servers that must not fail.
func Requests(o Options, n int64, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	l := Start(o)
	err := l.WaitOK(n, timeout)
	r := l.Stop()
	took := time.Since(start)
	if err == nil && len(r.Failures) > 0 {
		err = fmt.Errorf("load: %s", r)
	}
	return took, err
}
