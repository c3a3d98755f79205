package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/resync/resync/internal/redistest"
	"github.com/resync/resync/tests/loadclient"
)

// exampleNginx is the nginx example the package ships, with only its
// addresses replaced: each replacement must match exactly once, so the test
// runs what an operator copies.
func exampleNginx(t *testing.T, listen string, upstreams ...string) string {
	t.Helper()
	b, err := os.ReadFile("../../packaging/nginx/resync.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	replace := func(re, with string) {
		rx := regexp.MustCompile(re)
		if n := len(rx.FindAllStringIndex(conf, -1)); n != 1 {
			t.Fatalf("packaging/nginx/resync.conf: %q matches %d times, want once", re, n)
		}
		conf = rx.ReplaceAllLiteralString(conf, with)
	}
	replace(`(?m)^    listen 80;`, "    listen "+listen+";")
	for i, u := range upstreams {
		replace(fmt.Sprintf(`server 10\.0\.0\.1%d:8000`, i+1), "server "+u)
	}
	return conf
}

// TestScaleOutBehindNginx is the guide's picture: the shipped nginx example
// in front of two resync instances (2 workers each) sharing one
// redis-server, loopback trusted as the proxy. Clients come from other
// loopback addresses (127.0.0.2, …), so the identity resync sees is
// nginx's $remote_addr, not the proxy's.
//   - the auth limit (30/1h: no refill while the test runs, however slow
//     the machine) is exact across both instances: 30 of 100
//     concurrent logins from one client, with spoofed X-Forwarded-For
//     values that change nothing, whichever instance answered;
//   - the access logs name the client, not loopback;
//   - a session made on one instance opens the other's admin endpoints,
//     and nginx's;
//   - SIGKILL of one instance (master and workers) under load: nginx moves
//     GETs to the other; POSTs in flight on the killed instance are not
//     resent (nginx never resends a non-idempotent request), so those few
//     fail with 502 and are counted, not hidden.
func TestScaleOutBehindNginx(t *testing.T) {
	srv := redistest.Start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	dir := t.TempDir()
	inst := func(name string) (*master, string) {
		access := filepath.Join(dir, name+"-access.log")
		return startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_REDIS_URL=" + srv.URL(),
			"RESYNC_TRUSTED_PROXIES=127.0.0.1/32", "RESYNC_RATE_LIMIT_DEFAULT=1000000/1m", "RESYNC_RATE_LIMIT_AUTH=30/1h",
			// Fail closed, and wait for Redis up to 2 s: on a loaded machine
			// an answer later than the 200 ms default would be served open,
			// uncounted; closed, it would show as a 503 instead.
			"RESYNC_RATE_LIMIT_FAIL=closed", "RESYNC_REDIS_READ_TIMEOUT=2s", "RESYNC_REDIS_WRITE_TIMEOUT=2s",
			"RESYNC_ADMIN_TOKEN=tok", "RESYNC_ADMIN_USER=admin", "RESYNC_ADMIN_PASSWORD_HASH=" + string(hash),
			"RESYNC_ACCESS_LOG=on", "RESYNC_ACCESS_LOG_FILE=" + access}}), access
	}
	a, aLog := inst("a")
	b, bLog := inst("b")
	a.waitReady(false)
	b.waitReady(false)
	proxy := freeAddr(t)
	runNginx(t, proxy, exampleNginx(t, proxy, a.addr, b.addr))

	// Exactness: 100 concurrent wrong-password logins from 127.0.0.2.
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		errs   []error
		wg     sync.WaitGroup
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				code, err := postFrom("127.0.0.2", proxy, "/api/v1/auth/login", `{"username":"admin","password":"guess"}`,
					fmt.Sprintf("X-Forwarded-For: 198.18.%d.%d", i, j))
				mu.Lock()
				counts[code]++
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counts[401] != 30 || counts[429] != 70 || len(errs) > 0 {
		t.Errorf("logins through nginx: %v, want 30×401 and 70×429; errors %v", counts, errs)
	}
	// Both instances answered, and named the client nginx saw: every login
	// record says 127.0.0.2, never the proxy's loopback nor a spoofed value.
	waitUntil(t, 10*time.Second, "an access record of each login", func() bool {
		return len(grepLines(readFile(t, aLog)+readFile(t, bLog), "POST /api/v1/auth/login")) == 100
	})
	var per []string
	for _, l := range []string{aLog, bLog} {
		logins := grepLines(readFile(t, l), "POST /api/v1/auth/login")
		if len(logins) == 0 {
			t.Errorf("%s: no login answered by this instance", filepath.Base(l))
		}
		for _, rec := range logins {
			if !strings.HasPrefix(rec, "127.0.0.2 ") {
				t.Errorf("%s: the client is not the one nginx saw: %s", filepath.Base(l), rec)
				break
			}
		}
		per = append(per, fmt.Sprintf("%s: %d", filepath.Base(l), len(logins)))
	}
	t.Logf("logins answered per instance: %v; e.g. %s", per, grepLines(readFile(t, aLog), "POST /api/v1/auth/login")[0])

	// A session made on a works on b, and through nginx.
	resp := rawDo(t, a.addr, "POST", "/api/v1/auth/login", `{"username":"admin","password":"s3cret"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login on a: %d", resp.StatusCode)
	}
	cookie, _, _ := strings.Cut(resp.Header.Get("Set-Cookie"), ";")
	if code := rawDo(t, b.addr, "GET", "/api/v1/workers", "", "Cookie: "+cookie).StatusCode; code != 200 {
		t.Errorf("session from a on b: %d", code)
	}
	if code := rawDo(t, proxy, "GET", "/api/v1/workers", "", "Cookie: "+cookie).StatusCode; code != 200 {
		t.Errorf("session from a through nginx: %d", code)
	}

	// b killed outright under load through nginx.
	const postClients = 2
	l := &load{l: loadclient.Start(loadclient.Options{Addr: proxy, GetPath: "/api/v1/metrics",
		PostPath: "/api/v1/metrics/gc", PostStatus: 401, KeepAlive: 4, Fresh: 2, Post: postClients})}
	t.Cleanup(func() { l.stop() })
	l.waitServed(t, 500)
	pids := append(b.readyPIDs(), b.cmd.Process.Pid)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	killed := time.Now()
	waitUntil(t, 10*time.Second, "b's processes gone", func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	})
	l.waitServed(t, 1000) // a serves everything now
	r := l.stop()
	t.Logf("b SIGKILLed under load through nginx: %s", r)
	var gets, posts []loadclient.Failure
	for _, f := range r.Failures {
		if f.Client == loadclient.KeepAlivePOST {
			posts = append(posts, f)
		} else {
			gets = append(gets, f)
		}
	}
	if len(gets) > 0 {
		t.Errorf("%d GETs failed: nginx should have sent them to a: %v", len(gets), gets)
	}
	// POSTs: only those in flight on b when it died, each a 502, and only
	// around the kill.
	for _, f := range posts {
		if f.Kind != "status" || f.Status != 502 || f.At.Sub(killed).Abs() > 2*time.Second {
			t.Errorf("POST failure other than a 502 in flight at the kill: %v", f)
		}
	}
	// At most one per POST client: each has one request in flight, and
	// after the first error nginx holds b out (max_fails=1 fail_timeout=5s);
	// a POST it cannot even connect with is not sent, so nginx does try a.
	if len(posts) > postClients {
		t.Errorf("%d POSTs failed, more than the %d that can be in flight", len(posts), postClients)
	}
	if r.OK == 0 {
		t.Error("no request answered")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// postFrom sends one POST from local address src (a loopback address other
// than 127.0.0.1) on a fresh connection, never retried.
func postFrom(src, addr, path, body string, headers ...string) (int, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "POST " + path + " HTTP/1.1\r\nHost: resync\r\nConnection: close\r\nContent-Type: application/json\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	req += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := io.WriteString(c, req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
