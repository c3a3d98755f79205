package integration

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/resync/resync/internal/redistest"
)

// rawDo sends one request on a fresh connection (never retried).
func rawDo(t *testing.T, addr, method, path, body string, headers ...string) *http.Response {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
	for _, h := range headers {
		req += h + "\r\n"
	}
	req += "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestSessionsAcrossInstances: a login through one instance opens the admin
// endpoints of another sharing its Redis; logout through the second ends it
// on both; an unused session expires after RESYNC_SESSION_TTL.
func TestSessionsAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	env := []string{"RESYNC_WORKERS=2", "RESYNC_REDIS_URL=" + srv.URL(), "RESYNC_ADMIN_TOKEN=tok",
		"RESYNC_ADMIN_USER=admin", "RESYNC_ADMIN_PASSWORD_HASH=" + string(hash),
		"RESYNC_RATE_LIMIT_AUTH=20/1m", "RESYNC_SESSION_TTL=2s"}
	a, b := startMaster(t, opts{env: env}), startMaster(t, opts{env: env})
	a.waitReady(false)
	b.waitReady(false)

	if resp := rawDo(t, a.addr, "POST", "/api/v1/auth/login", `{"username":"admin","password":"wrong"}`); resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	login := func() string {
		resp := rawDo(t, a.addr, "POST", "/api/v1/auth/login", `{"username":"admin","password":"s3cret"}`)
		set := resp.Header.Get("Set-Cookie")
		if resp.StatusCode != 200 || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Strict") ||
			strings.Contains(set, "Secure") {
			t.Fatalf("login: %d %q", resp.StatusCode, set)
		}
		cookie, _, _ := strings.Cut(set, ";")
		return "Cookie: " + cookie
	}
	admin := func(m *master, headers ...string) int {
		return rawDo(t, m.addr, "GET", "/api/v1/workers", "", headers...).StatusCode
	}
	if code := admin(b); code != 401 {
		t.Fatalf("admin without a session: %d", code)
	}
	cookie := login()
	for range 3 { // used within its TTL again and again: sliding expiry keeps it
		if code := admin(b, cookie); code != 200 {
			t.Fatalf("session from a on b: %d", code)
		}
		time.Sleep(time.Second)
	}
	if resp := rawDo(t, b.addr, "POST", "/api/v1/auth/logout", "", cookie); resp.StatusCode != 200 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if code := admin(a, cookie); code != 401 {
		t.Fatalf("after logout through b, a still takes it: %d", code)
	}

	cookie = login()
	time.Sleep(2500 * time.Millisecond)
	if code := admin(a, cookie); code != 401 {
		t.Fatalf("session unused past its TTL: %d", code)
	}

	// ?all=true ends every session of the user.
	c1, c2 := login(), login()
	rawDo(t, b.addr, "POST", "/api/v1/auth/logout?all=true", "", c1)
	if code := admin(a, c2); code != 401 {
		t.Fatalf("other session after logout?all=true: %d", code)
	}
}
