package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/feed/feedtest"
	"github.com/resync/resync/internal/poller"
	"github.com/resync/resync/internal/redistest"
)

// The figures of docs/monitoring.md, on the real binary: not a pass/fail
// test (timing on a shared host is no assertion), run by hand with
// RESYNC_MEASURE=1 go test -run TestMonitoringMeasure -v ./tests/integration
// (without -race, whose binary is several times slower).
func TestMonitoringMeasure(t *testing.T) {
	if os.Getenv("RESYNC_MEASURE") != "1" {
		t.Skip("a measurement: RESYNC_MEASURE=1 runs it")
	}
	interval := time.Second
	rs := redistest.Start(t)
	s := startSim(t)
	m := startMaster(t, opts{env: monEnv(rs, s, interval, 5*time.Second)})
	m.waitReady(false)
	pids := m.waitWorkers(2, 30*time.Second)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	d := &monitored{t: t, rs: rs, rdb: rdb, sim: s, hosts: []*master{m}}
	waitUntil(t, 30*time.Second, "two polls", func() bool { return d.status(0).Metrics.Polls >= 2 })

	// Upstream calls per poll.
	s.control("DELETE", "/_sim/counts", nil)
	p0 := d.status(0).Metrics.Polls
	time.Sleep(10 * interval)
	p1 := d.status(0).Metrics.Polls
	var byPath map[string]int64
	counts := string(s.control("GET", "/_sim/counts", nil))
	json.Unmarshal([]byte(counts), &byPath)
	var calls int64
	for _, n := range byPath {
		calls += n
	}
	t.Logf("upstream calls per poll: %.2f (%d calls over %d polls; %s)", float64(calls)/float64(p1-p0), calls, p1-p0, counts)

	// Simulator change → WebSocket client.
	ws := feedtest.DialWS(t, m.url("/api/v1/monitoring/ws"))
	ws.Read(10 * time.Second)
	ws.Read(10 * time.Second)
	jobs := d.targets(40)
	var delays []time.Duration
	for _, id := range jobs {
		at := time.Now()
		d.abend(id)
		for {
			msg := ws.Read(30 * time.Second)
			if ev, _ := msg["event"].(map[string]any); msg["type"] == "event" && ev["event_type"] == "job_abend" {
				if det, _ := ev["details"].(map[string]any); det["job_id"] == id {
					break
				}
			}
		}
		delays = append(delays, time.Since(at))
	}
	t.Logf("simulator ABEND → WebSocket client, %d changes, poll every %s: p50 %s p99 %s max %s", len(delays), interval,
		pct(delays, 50), pct(delays, 99), pct(delays, 100))

	// 1000 feed clients: XADD → client, and memory per idle client.
	rss := func() int64 {
		var n int64
		for _, p := range pids {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
			if err != nil {
				t.Fatal(err)
			}
			_, rest, _ := strings.Cut(string(b), "VmRSS:")
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			n += kb << 10
		}
		return n
	}
	before := rss()
	const clients = 1000
	conns := make([]*websocket.Conn, 0, clients)
	for range clients {
		c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(m.url("/api/v1/monitoring/ws"), "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadLimit(16 << 20)
		conns = append(conns, c)
		t.Cleanup(func() { c.CloseNow() })
	}
	var mu sync.Mutex
	var lat []time.Duration
	var ready sync.WaitGroup
	for _, c := range conns {
		ready.Add(1)
		go func() {
			for {
				_, b, err := c.Read(context.Background())
				if err != nil {
					return
				}
				now := time.Now()
				if i := strings.Index(string(b), `"sent_ns":`); i >= 0 {
					rest := string(b[i+len(`"sent_ns":`):])
					end := strings.IndexAny(rest, ",}")
					ns, _ := strconv.ParseInt(rest[:end], 10, 64)
					mu.Lock()
					lat = append(lat, now.Sub(time.Unix(0, ns)))
					mu.Unlock()
				} else if strings.Contains(string(b), `"connected"`) {
					ready.Done()
				}
			}
		}()
	}
	ready.Wait()
	time.Sleep(3 * time.Second) // settle
	after := rss()
	t.Logf("%d idle WebSocket clients over %d workers: RSS %d → %d MiB, %.1f KiB per client", clients, len(pids),
		before>>20, after>>20, float64(after-before)/clients/1024)
	const sends = 50
	key := poller.KeysFor("").Stream
	for i := range sends {
		data := fmt.Sprintf(`{"event_id":"measure_%d","event_type":"job_started","severity":"info","source":"MEASURE","details":{"sent_ns":%d}}`, i, time.Now().UnixNano())
		if err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: key, Values: []string{"event", data}}).Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitUntil(t, 30*time.Second, "every client got every event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lat) >= clients*sends
	})
	mu.Lock()
	t.Logf("XADD → client, %d clients × %d events: p50 %s p99 %s max %s", clients, sends, pct(lat, 50), pct(lat, 99), pct(lat, 100))
	mu.Unlock()
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)].Round(100 * time.Microsecond)
}
