package integration

import (
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/resync/resync/tests/loadclient"
)

// load keeps requests flowing while something happens to the server, through
// the project's non-retrying client (tests/loadclient): half the clients
// reuse keep-alive connections, a quarter open a fresh one per request, a
// quarter POST a body on keep-alive connections.
type load struct {
	l      *loadclient.Load
	once   sync.Once
	result loadclient.Result
}

func startLoad(t *testing.T, rawURL string, clients int) *load {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	fresh := max(clients/4, 1)
	post := max(clients/4, 1)
	keep := max(clients-fresh-post, 1)
	l := &load{l: loadclient.Start(loadclient.Options{
		Addr: u.Host, GetPath: u.RequestURI(), KeepAlive: keep, Fresh: fresh, Post: post,
	})}
	t.Cleanup(func() { l.stop() })
	return l
}

// waitServed waits until n more requests succeeded, proving load flows.
func (l *load) waitServed(t *testing.T, n int64) {
	t.Helper()
	if err := l.l.WaitOK(n, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

func (l *load) stop() loadclient.Result {
	l.once.Do(func() { l.result = l.l.Stop() })
	return l.result
}

// expectNoFailures stops the load and fails the test on any failed request.
func (l *load) expectNoFailures(t *testing.T) {
	t.Helper()
	l.expectFailures(t, nil)
}

// expectFailures stops the load and fails the test on any failed request
// that allowed does not excuse.
func (l *load) expectFailures(t *testing.T, allowed func(loadclient.Failure) bool) {
	t.Helper()
	r := l.stop()
	t.Logf("raw client: %s", r)
	if n := r.Failed(func(f loadclient.Failure) bool { return allowed == nil || !allowed(f) }); n > 0 {
		t.Errorf("raw client: %d requests failed: %s", n, r)
	}
	if r.OK == 0 {
		t.Error("raw client: no request succeeded: the load never reached the server")
	}
}

// startWrk runs wrk (which does not retry either) beside the raw client;
// the test stops it with expectNoFailures.
func startWrk(t *testing.T, url string, conns int) *wrkRun {
	t.Helper()
	w, err := loadclient.StartWrk(url, conns)
	if err != nil {
		t.Fatal(err, " (.ci/deps installs it)")
	}
	t.Cleanup(w.Kill)
	waitUntil(t, 10*time.Second, "wrk connected", func() bool { return inFlight(hostOf(url)) > 0 })
	return &wrkRun{w}
}

type wrkRun struct{ *loadclient.Wrk }

// expectNoFailures stops wrk and fails the test on any error it counted.
func (w *wrkRun) expectNoFailures(t *testing.T) {
	t.Helper()
	r, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrk: %s", r)
	if r.Failed() > 0 {
		t.Errorf("wrk: %s\n%s", r, r.Output)
	}
	if r.Requests == 0 {
		t.Error("wrk: no request answered")
	}
}

func hostOf(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Host
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
