package integration

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/resync/resync/internal/redistest"
)

// TestSentinelFailover: a primary, its replica and three sentinels (quorum
// 2), resync on redis+sentinel://. The primary is SIGKILLed under load: the
// sentinels promote the replica, and within a deadline resync follows it —
// limits enforced, a login made before the failover still valid, a new
// login working — while not one request of the load failed (the limiter
// fails open while no primary answers).
func TestSentinelFailover(t *testing.T) {
	primary := redistest.Start(t)
	replica := redistest.Start(t, "replicaof 127.0.0.1 "+strconv.Itoa(primary.Port))
	const name = "mymaster"
	var sentinels []*redistest.Sentinel
	var addrs []string
	for range 3 {
		s := redistest.StartSentinel(t, name, primary, 2, 1000)
		sentinels = append(sentinels, s)
		addrs = append(addrs, s.Addr())
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range sentinels {
				t.Logf("sentinel %s log:\n%s", s.Addr(), s.Log())
			}
		}
	})
	// Before the fault, the sentinels know the replica and each other,
	// without which no failover can happen.
	ctx := context.Background()
	waitUntil(t, 30*time.Second, "the sentinels to know the replica and each other", func() bool {
		for _, a := range addrs {
			sc := redis.NewSentinelClient(&redis.Options{Addr: a})
			m, err := sc.Master(ctx, name).Result()
			sc.Close()
			if err != nil || m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
				return false
			}
		}
		return true
	})

	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	url := "redis+sentinel://" + strings.Join(addrs, ",") + "/" + name
	m := startMaster(t, opts{env: faultEnv(url, "RESYNC_ADMIN_USER=admin", "RESYNC_ADMIN_PASSWORD_HASH="+string(hash))})
	m.waitReady(false)
	login := func(client string) string {
		resp := rawDo(t, m.addr, "POST", "/api/v1/auth/login", `{"username":"admin","password":"s3cret"}`, "X-Forwarded-For: "+client)
		if resp.StatusCode != 200 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		cookie, _, _ := strings.Cut(resp.Header.Get("Set-Cookie"), ";")
		return "Cookie: " + cookie
	}
	admin := func(cookie string) int { return rawDo(t, m.addr, "GET", "/api/v1/workers", "", cookie).StatusCode }
	old := login("198.51.100.10")
	if code := admin(old); code != 200 {
		t.Fatalf("session before the failover: %d", code)
	}
	waitReplicated(t, primary, replica)

	l := limitedLoad(t, m.addr)
	l.waitServed(t, 300)
	primary.Kill()
	killed := time.Now()

	waitUntil(t, 30*time.Second, "the sentinels to promote the replica", func() bool {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addrs[0]})
		defer sc.Close()
		a, err := sc.GetMasterAddrByName(ctx, name).Result()
		return err == nil && a[1] == strconv.Itoa(replica.Port)
	})
	promoted := time.Since(killed)

	// resync follows: a fresh client gets exactly its 5 logins, then 429.
	n := 0
	var codes []int
	waitUntil(t, 30*time.Second, "resync to enforce limits on the new primary", func() bool {
		n++
		codes = loginStatuses(t, m.addr, fmt.Sprintf("198.51.101.%d", n), 6)
		return fmt.Sprint(codes) == "[401 401 401 401 401 429]"
	})
	followed := time.Since(killed)
	if code := admin(old); code != 200 {
		t.Errorf("session made before the failover, after it: %d, want 200", code)
	}
	if code := admin(login("198.51.100.11")); code != 200 {
		t.Errorf("session made after the failover: %d, want 200", code)
	}
	if _, c := m.readyRedis(); c["status"] != "ok" {
		t.Errorf("readiness after the failover: %v", c)
	}
	l.waitServed(t, 300)
	l.expectNoFailures(t)
	t.Logf("primary killed: replica promoted after %s, resync enforcing limits on it after %s (%d tries)",
		promoted.Round(time.Millisecond), followed.Round(time.Millisecond), n)
}

// waitReplicated waits until replica has everything primary wrote, so that
// what resync stored before the failover survives it (replication is
// asynchronous).
func waitReplicated(t *testing.T, primary, replica *redistest.Server) {
	t.Helper()
	offset := regexp.MustCompile(`master_repl_offset:(\d+)`)
	read := func(s *redistest.Server) string {
		c := redis.NewClient(&redis.Options{Addr: s.Addr()})
		defer c.Close()
		info, _ := c.Info(context.Background(), "replication").Result()
		if m := offset.FindStringSubmatch(info); m != nil && strings.Contains(info, "master_link_status:up") == (s == replica) {
			return m[1]
		}
		return ""
	}
	waitUntil(t, 10*time.Second, "the replica to catch up", func() bool {
		p := read(primary)
		return p != "" && p == read(replica)
	})
}
