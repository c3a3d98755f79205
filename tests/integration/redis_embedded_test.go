package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestEmbeddedRedis: with no RESYNC_REDIS_URL the master serves its workers
// an embedded store on a private socket. The limit is exact across the
// workers, and the store outlives them: a reload's new generation and a
// worker that replaces a killed one find the budget spent. Sessions work,
// and expire with the store's clock. Readiness and the dashboard's health.redis
// say embedded (single host).
func TestEmbeddedRedis(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_RATE_LIMIT_DEFAULT=40/1h",
		"RESYNC_ADMIN_TOKEN=tok", "RESYNC_ADMIN_USER=admin", "RESYNC_ADMIN_PASSWORD_HASH=" + string(hash),
		"RESYNC_RATE_LIMIT_AUTH=50/1m", "RESYNC_SESSION_TTL=3s",
		// miniredis runs each script under one lock, ~1 ms a call here and
		// ten times that under -race: a burst of 100 would queue past the
		// 200 ms default and fail open. This test is about exactness.
		"RESYNC_REDIS_READ_TIMEOUT=5s", "RESYNC_REDIS_WRITE_TIMEOUT=5s"}})
	m.waitReady(false)
	m.waitLog(`no RESYNC_REDIS_URL: rate limits, locks and sessions are kept in an embedded store in the master`, 10*time.Second)

	sock := filepath.Join(m.runtime, "redis", "redis.sock")
	for path, want := range map[string]os.FileMode{filepath.Dir(sock): 0o700, sock: 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", path, st.Mode().Perm(), want)
		}
	}
	code, check := m.readyRedis()
	note, _ := check["note"].(string)
	if code != 200 || check["status"] != "ok" || check["embedded"] != true || !strings.Contains(note, "embedded (single host)") {
		t.Errorf("readiness: %d %v", code, check)
	}

	// The dashboard's Redis tile reads health.redis of /api/v1/metrics;
	// each look spends one of that route's 40, so at most 30 looks.
	used := 0
	healthSays := func() bool {
		used++
		_, _, body, err := rawGet(m.addr, "/api/v1/metrics", "Authorization: Bearer tok")
		var doc struct {
			Health map[string]struct{ Status, Detail string } `json:"health"`
		}
		if err != nil || json.Unmarshal([]byte(body), &doc) != nil {
			return false
		}
		h := doc.Health["redis"]
		return h.Status == "ok" && strings.HasPrefix(h.Detail, "embedded (single host)")
	}
	for !healthSays() {
		if used == 30 {
			t.Fatal("health.redis in /api/v1/metrics does not say embedded (single host)")
		}
		time.Sleep(300 * time.Millisecond) // the master samples once a second
	}

	// 100 requests at once on fresh connections, spread over both workers by
	// the kernel: exactly what is left of the limit passes.
	const auth = "Authorization: Bearer tok"
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			code, _, _, err := rawGet(m.addr, "/api/v1/metrics", auth)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			counts[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts[200] != 40-used || counts[429] != 60+used {
		t.Fatalf("100 requests against 40/1h after %d: %v, want %d×200 and %d×429", used, counts, 40-used, 60+used)
	}
	spent := func(when string) {
		t.Helper()
		if code, _, body, err := rawGet(m.addr, "/api/v1/metrics", auth); err != nil || code != 429 {
			t.Errorf("%s: %d %s %v, want 429 (the budget is spent)", when, code, body, err)
		}
	}

	gen := m.status().Generation
	m.signal(syscall.SIGHUP)
	waitUntil(t, 30*time.Second, "the reload's new generation", func() bool {
		s := m.status()
		if s.Generation <= gen || len(s.Workers) != 2 {
			return false
		}
		for _, w := range s.Workers {
			if w.State != "ready" || w.Generation <= gen {
				return false
			}
		}
		return true
	})
	spent("after a reload")
	pids := m.waitWorkers(2, 10*time.Second)
	syscall.Kill(pids[0], syscall.SIGKILL)
	waitUntil(t, 30*time.Second, "a worker to replace the killed one", func() bool {
		now := m.readyPIDs()
		return len(now) == 2 && now[0] != pids[0] && now[1] != pids[0]
	})
	spent("after a worker was killed and replaced")

	resp := rawDo(t, m.addr, "POST", "/api/v1/auth/login", `{"username":"admin","password":"s3cret"}`)
	cookie, _, _ := strings.Cut(resp.Header.Get("Set-Cookie"), ";")
	if resp.StatusCode != 200 || cookie == "" {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	for range 4 { // on fresh connections, whichever worker answers
		if code := rawDo(t, m.addr, "GET", "/api/v1/workers", "", "Cookie: "+cookie).StatusCode; code != 200 {
			t.Fatalf("session: %d", code)
		}
	}
	// Unused past its TTL (each use would renew it, so no polling): the
	// store's clock has expired it.
	time.Sleep(4500 * time.Millisecond)
	if code := rawDo(t, m.addr, "GET", "/api/v1/workers", "", "Cookie: "+cookie).StatusCode; code != 401 {
		t.Errorf("session unused past its TTL of 3s: %d, want 401", code)
	}
}

// TestProductionNeedsRedis: production with an empty RESYNC_REDIS_URL does
// not start, and a reload to it is refused while the workers keep serving;
// both name the setting. RESYNC_REDIS_URL=embedded is the explicit opt-in.
func TestProductionNeedsRedis(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=1", "RESYNC_MODE=production"}})
	if code := m.waitExit(15 * time.Second); code == 0 {
		t.Errorf("production without Redis started (exit 0)")
	}
	if !strings.Contains(m.log.String(), "RESYNC_REDIS_URL is empty, and RESYNC_MODE=production needs a Redis") {
		t.Errorf("the refusal does not name the setting:\n%s", m.log.String())
	}

	m = startMaster(t, opts{env: []string{"RESYNC_WORKERS=1"},
		envFile: "RESYNC_MODE=production\nRESYNC_REDIS_URL=embedded\n"})
	m.waitReady(false)
	if code, check := m.readyRedis(); code != 200 || check["status"] != "ok" || check["embedded"] != true {
		t.Fatalf("production with RESYNC_REDIS_URL=embedded: %d %v", code, check)
	}
	gen := m.status().Generation
	writeFile(t, m.envFile, "RESYNC_MODE=production\n")
	out, err := exec.Command(binary, "reload", "--runtime-dir", m.runtime).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "RESYNC_REDIS_URL is empty") {
		t.Errorf("reload to production without Redis: %v\n%s", err, out)
	}
	if s := m.status(); s.Generation != gen || len(s.Workers) != 1 {
		t.Errorf("after the refused reload: generation %d (was %d), %d workers", s.Generation, gen, len(s.Workers))
	}
	if resp, _ := get(t, m.url("/api/v1/health/live")); resp.StatusCode != 200 {
		t.Errorf("live after the refused reload: %d", resp.StatusCode)
	}
}
