//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

const base = "http://127.0.0.1:8000"

// load is a pool of real HTTP clients hammering the health endpoint: half keep
// connections alive (they see what a drain does to idle and in-flight
// keep-alive requests), half open a new connection per request (they see
// refused connections while the listening socket is missing).
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	ok     int
	fails  map[string]int
	sample []string
}

func startLoad(clients int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel, fails: map[string]int{}}
	for i := range clients {
		fresh := i%2 == 1
		tr := &http.Transport{DisableKeepAlives: fresh, MaxIdleConnsPerHost: 1}
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer tr.CloseIdleConnections()
			for ctx.Err() == nil {
				l.record(ctx, fresh, get(ctx, client))
			}
		}()
	}
	return l
}

func get(ctx context.Context, client *http.Client) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/health/live", nil)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"alive"`) {
		return fmt.Errorf("status %d: %.100s", resp.StatusCode, body)
	}
	return nil
}

// record counts a result; failures by kind and by client type, since a
// keep-alive client and a connection-per-request client fail for different
// reasons (a drain closing idle connections vs. a missing listener).
func (l *load) record(ctx context.Context, fresh bool, err error) {
	if ctx.Err() != nil {
		return // cancelled by stop: not the server's failure
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.ok++
		return
	}
	kind := "other"
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		kind = "refused"
	case errors.Is(err, syscall.ECONNRESET):
		kind = "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		kind = "eof"
	case strings.HasPrefix(err.Error(), "status "):
		kind = "status"
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			kind = "timeout"
		}
	}
	if fresh {
		kind += "(new-conn)"
	} else {
		kind += "(keep-alive)"
	}
	l.fails[kind]++
	if len(l.sample) < 5 {
		l.sample = append(l.sample, err.Error())
	}
}

// stop ends the load and returns the successes and a failure summary ("" when none).
func (l *load) stop() (int, string) {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) == 0 {
		return l.ok, ""
	}
	var kinds []string
	for k, n := range l.fails {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	return l.ok, strings.Join(kinds, " ") + "; e.g. " + strings.Join(l.sample, " | ")
}

// okCount reads the running success count.
func (l *load) okCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

// get1 makes one request with a fresh connection.
func get1() error {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	return get(context.Background(), client)
}
