package hwasim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listener is a simulator serving on a socket.
type Listener struct {
	URL  string // http(s)://host:port, the engine URL a client is given
	srv  *http.Server
	sim  *Server
	done chan error
}

// Listen serves s on addr (host:port; port 0 picks one), over TLS when
// certFile and keyFile are given. It returns once the socket is bound.
func (s *Server) Listen(addr, certFile, keyFile string) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	scheme := "http"
	if certFile != "" {
		scheme = "https"
	}
	l := &Listener{
		URL: scheme + "://" + ln.Addr().String(), sim: s, done: make(chan error, 1),
		srv: &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second},
	}
	go func() {
		var err error
		if certFile != "" {
			err = l.srv.ServeTLS(ln, certFile, keyFile)
		} else {
			err = l.srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		l.done <- err
	}()
	return l, nil
}

// Done delivers the serving error (nil after Close).
func (l *Listener) Done() <-chan error { return l.done }

// Close stops serving and the plan's clock.
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l.sim.Close()
	return l.srv.Shutdown(ctx)
}

// EnvSimulated is set ("1") in a worker's environment by a master that
// started the embedded simulator as the worker's engine, so that the worker
// can say that its data is simulated.
const EnvSimulated = "RESYNC_TWS_SIMULATED"
