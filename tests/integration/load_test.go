package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load keeps requests flowing while something happens to the server: half the
// clients reuse keep-alive connections, half open a fresh one per request.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	cancel     context.CancelFunc
	wg         sync.WaitGroup
}

func startLoad(t *testing.T, url string, clients int) *load {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounded even if the test forgets
	l := &load{cancel: cancel}
	for i := 0; i < clients; i++ {
		tr := &http.Transport{DisableKeepAlives: i%2 == 1, MaxIdleConnsPerHost: 1}
		c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer tr.CloseIdleConnections()
			for ctx.Err() == nil {
				l.one(ctx, c, url, tr.DisableKeepAlives)
			}
		}()
	}
	t.Cleanup(func() { l.stop() })
	return l
}

func (l *load) one(ctx context.Context, c *http.Client, url string, fresh bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if ctx.Err() != nil {
		return // stopped mid-request: not the server's fault
	}
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	if err != nil {
		l.failed.Add(1)
		l.mu.Lock()
		if len(l.errs) < 10 {
			kind := "keep-alive"
			if fresh {
				kind = "fresh connection"
			}
			l.errs = append(l.errs, time.Now().Format("15:04:05.000000")+" "+kind+": "+err.Error())
		}
		l.mu.Unlock()
		return
	}
	l.ok.Add(1)
}

// waitServed waits until n more requests succeeded, proving load flows.
func (l *load) waitServed(t *testing.T, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	waitUntil(t, 30*time.Second, fmt.Sprintf("%d more successful requests", n), func() bool { return l.ok.Load() >= target })
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// expectNoFailures stops the load and fails the test on any failed request.
func (l *load) expectNoFailures(t *testing.T) {
	t.Helper()
	l.stop()
	t.Logf("load: %d requests ok, %d failed", l.ok.Load(), l.failed.Load())
	if l.failed.Load() > 0 {
		t.Errorf("%d requests failed, e.g. %v", l.failed.Load(), l.errs)
	}
	if l.ok.Load() == 0 {
		t.Error("no request succeeded: the load never reached the server")
	}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
