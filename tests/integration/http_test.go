package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What a client sees: request limits, correlation ids, timeouts and panics
// each get a clear status, and the worker goes on serving.
func TestRequestHandling(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_TIMEOUT=2", "RESYNC_HEADER_TIMEOUT=1"}})
	m.waitReady(false)
	workers := m.waitWorkers(2, 10*time.Second)

	t.Run("correlation id echoed", func(t *testing.T) {
		req, _ := http.NewRequest("GET", m.url("/api/v1/health/ready"), nil)
		req.Header.Set("X-Correlation-ID", "abc-123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Correlation-ID") != "abc-123" {
			t.Errorf("ready: %d, correlation id %q", resp.StatusCode, resp.Header.Get("X-Correlation-ID"))
		}
	})
	t.Run("generated on 404", func(t *testing.T) {
		resp, body := get(t, m.url("/nope"))
		if resp.StatusCode != 404 || len(resp.Header.Get("X-Correlation-ID")) != 32 || !strings.Contains(body, "detail") {
			t.Errorf("404: %d %q %s", resp.StatusCode, resp.Header.Get("X-Correlation-ID"), body)
		}
	})
	t.Run("request line too long → 414", func(t *testing.T) {
		if code := rawStatus(t, m.addr, "GET /api/v1/health/live?"+strings.Repeat("a", 4100)+" HTTP/1.1\r\nHost: x\r\n\r\n"); code != 414 {
			t.Errorf("status %d, want 414", code)
		}
	})
	t.Run("header field too large → 431", func(t *testing.T) {
		if code := rawStatus(t, m.addr, "GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 8200)+"\r\n\r\n"); code != 431 {
			t.Errorf("status %d, want 431", code)
		}
	})
	t.Run("too many header fields → 431", func(t *testing.T) {
		var h strings.Builder
		for i := 0; i < 101; i++ {
			fmt.Fprintf(&h, "X-H%d: v\r\n", i)
		}
		if code := rawStatus(t, m.addr, "GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n"+h.String()+"\r\n"); code != 431 {
			t.Errorf("status %d, want 431", code)
		}
	})
	t.Run("timeout → 503, others still served", func(t *testing.T) {
		done := make(chan int, 1)
		go func() {
			resp, err := httpGet(m.url("/debug/sleep?d=5s"))
			if err != nil {
				done <- -1
				return
			}
			done <- resp.StatusCode
		}()
		waitUntil(t, 5*time.Second, "the slow request in flight", func() bool { return inFlight(m.addr) >= 1 })
		if resp, _ := get(t, m.url("/api/v1/health/live")); resp.StatusCode != 200 {
			t.Errorf("concurrent request: %d", resp.StatusCode)
		}
		select {
		case code := <-done:
			if code != 503 {
				t.Errorf("slow request: %d, want 503", code)
			}
		case <-time.After(4500 * time.Millisecond):
			t.Error("slow request was not cut at RESYNC_TIMEOUT")
		}
	})
	t.Run("slow client cut at RESYNC_HEADER_TIMEOUT", func(t *testing.T) {
		c, err := net.Dial("tcp", m.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n")) // and never the blank line
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		start := time.Now()
		_, err = c.Read(make([]byte, 512))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("a client that never finished its headers was still connected after 10 s")
		}
		if took := time.Since(start); took < 900*time.Millisecond {
			t.Errorf("connection closed after %s, before the 1 s header timeout", took)
		}
	})
	t.Run("panic → 500, worker lives", func(t *testing.T) {
		resp, body := get(t, m.url("/debug/panic"))
		if resp.StatusCode != 500 || resp.Header.Get("X-Correlation-ID") == "" {
			t.Errorf("panic: %d %s", resp.StatusCode, body)
		}
		m.waitLog(`panic serving request.*test panic.*stack=`, 5*time.Second)
	})
	if now := m.waitWorkers(2, 5*time.Second); fmt.Sprint(now) != fmt.Sprint(workers) {
		t.Errorf("workers changed: %v → %v; a bad request must not cost a worker", workers, now)
	}
}

func rawStatus(t *testing.T, addr, request string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func httpGet(url string) (*http.Response, error) {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

// inFlight counts established connections to addr's port, from the server's
// side, in /proc/net/tcp: requests in flight without a sleep to guess them.
func inFlight(addr string) int {
	_, port, _ := net.SplitHostPort(addr)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	var p int
	fmt.Sscan(port, &p)
	local := fmt.Sprintf(":%04X ", p)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// local_address is field 1, st (01 = ESTABLISHED) field 3.
		if len(f) > 3 && strings.HasSuffix(f[1]+" ", local) && f[3] == "01" {
			n++
		}
	}
	return n
}

// RESYNC_BIND=unix:/path: served on a unix socket, removed on exit.
func TestUnixSocketBind(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "resync.sock")
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_BIND=unix:" + sock}})
	m.waitReady(false)
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Get("http://resync/api/v1/health/live")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("over the unix socket: %d", resp.StatusCode)
	}
	m.signal(syscall.SIGTERM)
	if code := m.waitExit(30 * time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
}
