package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
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

// wrkRun is wrk (which does not retry either) running against the server
// until stopped.
type wrkRun struct {
	cmd *exec.Cmd
	out *syncBuffer
}

// startWrk runs wrk with conns keep-alive connections for at most 2 minutes;
// the test stops it with finish.
func startWrk(t *testing.T, url string, conns int) *wrkRun {
	t.Helper()
	path, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatal("wrk is not installed (.ci/deps installs it): ", err)
	}
	w := &wrkRun{out: &syncBuffer{}}
	// --timeout 10s: on a loaded CI machine a slow answer is not a failure.
	w.cmd = exec.Command(path, "-t2", "-c"+strconv.Itoa(conns), "-d120s", "--timeout", "10s", url)
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() })
	waitUntil(t, 10*time.Second, "wrk connected", func() bool { return inFlight(hostOf(url)) > 0 })
	return w
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// wrkResult is wrk's summary.
type wrkResult struct {
	requests                              int
	connect, read, write, timeout, non2xx int
}

func (r wrkResult) failed() int { return r.connect + r.read + r.write + r.timeout + r.non2xx }

func (r wrkResult) String() string {
	return fmt.Sprintf("%d requests, %d failed (connect %d, read %d, write %d, timeout %d, non-2xx %d)",
		r.requests, r.failed(), r.connect, r.read, r.write, r.timeout, r.non2xx)
}

// finish stops wrk (SIGINT: it prints its summary) and parses the summary.
func (w *wrkRun) finish(t *testing.T) wrkResult {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGINT)
	w.cmd.Wait()
	out := w.out.String()
	m := wrkRequests.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("wrk printed no summary:\n%s", out)
	}
	var r wrkResult
	r.requests, _ = strconv.Atoi(m[1])
	if s := wrkSocket.FindStringSubmatch(out); s != nil {
		r.connect, _ = strconv.Atoi(s[1])
		r.read, _ = strconv.Atoi(s[2])
		r.write, _ = strconv.Atoi(s[3])
		r.timeout, _ = strconv.Atoi(s[4])
	}
	if s := wrkNon2xx.FindStringSubmatch(out); s != nil {
		r.non2xx, _ = strconv.Atoi(s[1])
	}
	return r
}

// expectNoFailures stops wrk and fails the test on any error it counted.
func (w *wrkRun) expectNoFailures(t *testing.T) {
	t.Helper()
	r := w.finish(t)
	t.Logf("wrk: %s", r)
	if r.failed() > 0 {
		t.Errorf("wrk: %s\n%s", r, w.out.String())
	}
	if r.requests == 0 {
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
