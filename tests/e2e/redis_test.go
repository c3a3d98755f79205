//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/tests/loadclient"
)

// productionWithRedis runs resync the way the package means production to
// run on one host: apt's redis-server (the package Recommends it) beside it,
// and in /etc/resync/env RESYNC_MODE=production with RESYNC_REDIS_URL set to
// the line the shipped file suggests. `resync doctor` passes its Redis line,
// readiness shows Redis ok, the limiter's budgets are in that Redis, and
// `systemctl restart redis-server` under load on a rate-limited route fails
// no request (the limiter fails open) and readiness comes back to ok.
func productionWithRedis(t *testing.T, c *container) {
	// apt starts a recommended redis-server; the tree's may not be running.
	c.must("systemctl", "enable", "--now", "redis-server")
	waitFor(t, 30*time.Second, "redis-server to answer", func() error {
		if out, err := c.run("redis-cli", "ping"); err != nil || strings.TrimSpace(out) != "PONG" {
			return fmt.Errorf("redis-cli ping: %q %v", out, err)
		}
		return nil
	})
	// The rate is high so that the load below is never refused: the stage is
	// about the round trip to Redis, which every request still makes.
	c.must("sh", "-c", "cp /etc/resync/env /tmp/env.redis && printf '%s\\n' RESYNC_MODE=production "+
		"RESYNC_REDIS_URL=redis://127.0.0.1:6379/0 RESYNC_ADMIN_TOKEN=e2e-Redis-Adm1n-3f4a "+
		"RESYNC_RATE_LIMIT_DEFAULT=1000000/1s >> /etc/resync/env")
	defer func() {
		c.must("cp", "/tmp/env.redis", "/etc/resync/env")
		c.must("systemctl", "reload", "resync")
	}()
	before := status(t, c)
	c.must("systemctl", "reload", "resync")
	if after := status(t, c); after.Generation != before.Generation+1 {
		t.Fatalf("generation %d after the reload into production mode, want %d", after.Generation, before.Generation+1)
	}

	out, _ := c.run("resync", "doctor")
	if !strings.Contains(out, "✓ redis: redis://127.0.0.1:6379/0: PONG in ") {
		t.Errorf("resync doctor's Redis line does not pass against apt's redis-server:\n%s", out)
	}
	if code, check := readyRedis(t); code != http.StatusOK || check["status"] != "ok" {
		t.Errorf("readiness with redis-server up: %d %v, want 200 and redis ok", code, check)
	}
	resp, err := fresh.Get(base + "/api/v1/metrics")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get("X-RateLimit-Limit"); resp.StatusCode != http.StatusOK || got != "1000000" {
		t.Errorf("GET /api/v1/metrics: %d, X-RateLimit-Limit %q; want 200 and 1000000", resp.StatusCode, got)
	}
	if keys := c.must("redis-cli", "--scan", "--pattern", "rate:*"); strings.TrimSpace(keys) == "" {
		t.Error("no rate:* key in redis-server after a limited request: the limiter does not use it")
	}

	// The load's GETs are limited; its POSTs carry no token, so they are
	// limited too and answered 401.
	cur := c.cursor()
	l := warmOn(t, loadclient.Options{GetPath: "/api/v1/metrics", PostPath: "/api/v1/metrics/gc", PostStatus: http.StatusUnauthorized})
	watch := watchReadiness()
	c.must("systemctl", "restart", "redis-server")
	waitFor(t, 15*time.Second, "readiness to show redis ok again", func() error {
		if code, check := readyRedis(t); code != http.StatusOK || check["status"] != "ok" {
			return fmt.Errorf("%d %v", code, check)
		}
		return nil
	})
	settle(t, l, "systemctl restart redis-server")
	notOK, codes := watch()
	t.Logf("readiness during the Redis restart: redis not ok for about %v; status codes %v", notOK.Round(10*time.Millisecond), codes)
	if len(codes) != 1 || codes[http.StatusOK] == 0 {
		t.Errorf("readiness answered %v during the Redis restart; want only 200: Redis is not critical by default", codes)
	}
	// journald may suppress these under load (see secretsNotInJournal), so
	// they are shown, not counted; each names its worker (worker_pid), and
	// each worker keeps its own incident (docs/redis.md). No -u: systemd 252
	// combines it with a cursor wrongly (see badEnvReload).
	log, _ := c.run("sh", "-c", "journalctl --no-pager -o cat --after-cursor '"+cur+"' | grep 'rate limiter: redis' || true")
	t.Logf("the limiter's incident lines in the journal:\n%s", log)
}

// readyRedis returns /api/v1/health/ready's status code and its checks.redis.
func readyRedis(t *testing.T) (int, map[string]any) {
	t.Helper()
	code, check, err := readRedis()
	if err != nil {
		t.Fatalf("GET /api/v1/health/ready: %v", err)
	}
	return code, check
}

// readRedis is readyRedis for a goroutine, which cannot end the test.
func readRedis() (int, map[string]any, error) {
	resp, err := fresh.Get(base + "/api/v1/health/ready")
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var doc struct {
		Checks map[string]map[string]any `json:"checks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, doc.Checks["redis"], nil
}

// watchReadiness polls readiness every 50 ms until the returned function is
// called, which says for about how long it saw Redis not ok and how many of
// each status code it got (0: no answer).
func watchReadiness() func() (time.Duration, map[int]int) {
	var (
		notOK    time.Duration
		codes    = map[int]int{}
		stop     = make(chan struct{})
		finished = make(chan struct{})
	)
	go func() {
		defer close(finished)
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			code, check, _ := readRedis()
			now := time.Now()
			codes[code]++
			if check["status"] != "ok" {
				notOK += now.Sub(last)
			}
			last = now
		}
	}()
	return func() (time.Duration, map[int]int) {
		close(stop)
		<-finished
		return notOK, codes
	}
}
