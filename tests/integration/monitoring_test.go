package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/feed/feedtest"
	"github.com/resync/resync/internal/lock"
	"github.com/resync/resync/internal/poller"
	"github.com/resync/resync/internal/redistest"
)

// The poll interval and lock TTL of these tests: under the settings' 5 s
// floor through the testhooks knob, so that a take-over fits in seconds.
const (
	monInterval = 500 * time.Millisecond
	monTTL      = 2 * time.Second
)

// monEnv is the monitoring settings of these tests, with Redis timeouts a
// loaded 2-core CI host (and -race) can meet: the default 200 ms, made for
// a request path, times out there now and then, and a page's 503 is a
// console error.
func monEnv(rs *redistest.Server, s *sim, interval, ttl time.Duration) []string {
	return append(s.env(), "RESYNC_WORKERS=2", "RESYNC_REDIS_URL="+rs.URL(),
		"RESYNC_REDIS_READ_TIMEOUT=2s", "RESYNC_REDIS_WRITE_TIMEOUT=2s",
		"TESTHOOK_TWS_POLL_INTERVAL="+interval.String(), "RESYNC_TWS_POLL_LOCK_TTL="+ttl.String())
}

// monitored is a deployment of two resync instances (two masters of two
// workers each: two hosts) on one redis-server, polling one simulator.
type monitored struct {
	t     *testing.T
	rs    *redistest.Server
	rdb   *redis.Client
	sim   *sim
	hosts []*master
}

func startMonitored(t *testing.T) *monitored {
	t.Helper()
	rs := redistest.Start(t)
	s := startSim(t)
	env := monEnv(rs, s, monInterval, monTTL)
	d := &monitored{t: t, rs: rs, sim: s, hosts: []*master{startMaster(t, opts{env: env}), startMaster(t, opts{env: env})}}
	d.rdb = redis.NewClient(&redis.Options{Addr: rs.Addr()})
	t.Cleanup(func() { d.rdb.Close() })
	for _, h := range d.hosts {
		h.waitReady(false)
		h.waitWorkers(2, 30*time.Second)
	}
	waitUntil(t, 20*time.Second, "two polls", func() bool { return d.status(0).Metrics.Polls >= 2 })
	return d
}

type monStatus struct {
	Metrics struct {
		Polls int `json:"polls_count"`
	} `json:"metrics"`
	Poller struct {
		Holder string `json:"holder"`
		Token  int64  `json:"token"`
	} `json:"poller"`
}

func (d *monitored) status(host int) monStatus {
	d.t.Helper()
	var st monStatus
	res, err := fresh.Get(d.hosts[host].url("/api/v1/monitoring/status?brief=1"))
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		d.t.Fatal(err)
	}
	return st
}

// holder returns the index of the host whose worker polls, and that pid.
func (d *monitored) holder() (int, int) {
	d.t.Helper()
	h := d.status(0).Poller.Holder
	_, p, _ := strings.Cut(h, ":")
	pid, _ := strconv.Atoi(p)
	for i, m := range d.hosts {
		for _, w := range m.readyPIDs() {
			if w == pid {
				return i, pid
			}
		}
	}
	d.t.Fatalf("holder %q is no ready worker of either host", h)
	return 0, 0
}

// fence is the poller lock's newest fencing token: it rises the moment a
// new holder is elected, before its first poll.
func (d *monitored) fence() int64 {
	d.t.Helper()
	h, _, err := lock.New(d.rdb, poller.KeysFor("").Lock, lock.Options{}).Holder(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	return h.Fence
}

// takeOverLimit is what the tests allow a take-over: the TTL and one
// interval, plus slack for a loaded 2-core CI host under -race (a process
// there can wait seconds for a CPU); the figure itself is logged.
const takeOverLimit = monTTL + monInterval + 4*time.Second

// targets returns n jobs of the plan that are not failed, to ABEND.
func (d *monitored) targets(n int) []string {
	d.t.Helper()
	var doc struct {
		Jobs []struct {
			ID     string `json:"job_id"`
			Status string `json:"status"`
		} `json:"jobs"`
	}
	res, err := fresh.Get(d.hosts[0].url("/api/v1/monitoring/status/jobs?limit=500"))
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	json.NewDecoder(res.Body).Decode(&doc)
	var out []string
	for _, j := range doc.Jobs {
		switch j.Status {
		case "ABEND", "FAIL", "ERROR", "ABENP":
			continue
		}
		if out = append(out, j.ID); len(out) == n {
			return out
		}
	}
	d.t.Fatalf("only %d jobs to ABEND of %d", len(out), len(doc.Jobs))
	return nil
}

// waitTakeOver waits, from since, for a holder newer than token: elected
// (the lock's fence rises) and then committing (the status on host names a
// newer token). The election must come within takeOverLimit.
func (d *monitored) waitTakeOver(since time.Time, token int64, host int) (elected, committed time.Duration) {
	d.t.Helper()
	waitUntil(d.t, 20*time.Second, "a new holder of the poller lock", func() bool { return d.fence() > token })
	elected = time.Since(since).Round(time.Millisecond)
	waitUntil(d.t, 20*time.Second, "the new poller's first commit", func() bool { return d.status(host).Poller.Token > token })
	committed = time.Since(since).Round(time.Millisecond)
	if elected > takeOverLimit {
		d.t.Errorf("take-over after %s, more than %s", elected, takeOverLimit)
	}
	return elected, committed
}

func (d *monitored) abend(id string) { d.sim.control("POST", "/_sim/jobs/"+id+"/abend?rc=12", nil) }

// streamAbends reads the event stream in Redis: its ids in order, and how
// many job_abend events each job has.
func (d *monitored) streamAbends() ([]string, map[string]int) {
	d.t.Helper()
	msgs, err := d.rdb.XRange(context.Background(), poller.KeysFor("").Stream, "-", "+").Result()
	if err != nil {
		d.t.Fatal(err)
	}
	ids, abends := []string{}, map[string]int{}
	for _, m := range msgs {
		ids = append(ids, m.ID)
		var e struct {
			Type    string         `json:"event_type"`
			Details map[string]any `json:"details"`
		}
		json.Unmarshal([]byte(m.Values["event"].(string)), &e)
		if e.Type == "job_abend" {
			abends[fmt.Sprint(e.Details["job_id"])]++
		}
	}
	return ids, abends
}

// eachAbendOnce waits until every one of jobs has its job_abend event in the
// stream, then fails the test for any job with more than one: no event lost
// or doubled. It returns the stream's ids.
func (d *monitored) eachAbendOnce(jobs []string) []string {
	t := d.t
	t.Helper()
	waitUntil(t, 20*time.Second, "every ABEND in the stream", func() bool {
		_, abends := d.streamAbends()
		for _, id := range jobs {
			if abends[id] == 0 {
				return false
			}
		}
		return true
	})
	stream, abends := d.streamAbends()
	for _, id := range jobs {
		if abends[id] != 1 {
			t.Errorf("job %s: %d job_abend events, want 1", id, abends[id])
		}
	}
	return stream
}

// sseLog follows a host's SSE feed as EventSource does: on the end of the
// stream it reconnects with Last-Event-ID. It keeps every id it got.
type sseLog struct {
	mu         sync.Mutex
	ids        []string
	connects   int // streams opened: the server has subscribed the client
	reconnects int
	stop       chan struct{}
	done       chan struct{}
}

func followSSE(t *testing.T, url string) *sseLog {
	l := &sseLog{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		last := ""
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			c, err := feedtest.DialSSE(url, last)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			l.mu.Lock()
			l.connects++
			l.mu.Unlock()
			go func() { <-l.stop; c.Resp.Body.Close() }()
			for {
				ev, err := c.Next()
				if err != nil {
					break
				}
				if ev.Event == "reset" {
					t.Errorf("reset on resume from %s: %s", last, ev.Data)
					continue
				}
				last = ev.ID
				l.mu.Lock()
				l.ids = append(l.ids, ev.ID)
				l.mu.Unlock()
			}
			c.Resp.Body.Close()
			l.mu.Lock()
			l.reconnects++
			l.mu.Unlock()
		}
	}()
	t.Cleanup(l.close)
	return l
}

func (l *sseLog) close() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
}

func (l *sseLog) connected() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.connects > 0
}

func (l *sseLog) snapshot() ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...), l.reconnects
}

// caughtUp waits until the client has the stream's last id, then stops it
// and returns every id it got.
func (l *sseLog) caughtUp(t *testing.T, stream []string) []string {
	t.Helper()
	waitUntil(t, 20*time.Second, "the SSE client to read the stream's last entry", func() bool {
		got, _ := l.snapshot()
		return len(got) > 0 && len(stream) > 0 && got[len(got)-1] == stream[len(stream)-1]
	})
	l.close()
	got, _ := l.snapshot()
	return got
}

// tail is the ids of the stream from the first one the client got: the
// client must have exactly these, in order — no gap, no duplicate.
func sameTail(t *testing.T, what string, got, stream []string) {
	t.Helper()
	if len(got) == 0 {
		t.Fatalf("%s: no events", what)
	}
	start := -1
	for i, id := range stream {
		if id == got[0] {
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("%s: first id %s not in the stream", what, got[0])
	}
	want := stream[start:]
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s: got %d events, the stream has %d from %s\ngot  %v\nwant %v", what, len(got), len(want), got[0], got, want)
	}
}

// One poller for two hosts; the metrics of every worker name it; an ABEND
// in the simulator reaches the WebSocket and the SSE clients of both hosts.
// Then the holder's worker is SIGKILLed: the other host or worker takes
// over within the TTL and one interval, and no event is lost or doubled.
func TestMonitoringOnePollerAbendOnBothHostsAndKillTakeOver(t *testing.T) {
	d := startMonitored(t)
	electedRx := regexp.MustCompile(`poller: elected`)
	if n := len(electedRx.FindAllString(d.hosts[0].log.String()+d.hosts[1].log.String(), -1)); n != 1 {
		t.Fatalf("%d pollers elected over two hosts × two workers, want 1", n)
	}
	holderHost, holderPID := d.holder()
	for i, h := range d.hosts {
		for range 4 { // fresh connections spread over the workers
			body := getBody(t, h.url("/metrics"))
			want := fmt.Sprintf(`resync_tws_poller_holder{holder="%s"} 1`, d.status(0).Poller.Holder)
			if !strings.Contains(body, want) || strings.Count(body, "resync_tws_poller_holder{") != 1 {
				t.Fatalf("host %d /metrics lacks %s alone", i, want)
			}
		}
	}

	type client struct {
		name string
		ws   *feedtest.WS
		sse  *feedtest.SSE
	}
	var clients []client
	for i, h := range d.hosts {
		ws := feedtest.DialWS(t, h.url("/api/v1/monitoring/ws"))
		if m := ws.Read(10 * time.Second); m["type"] != "recent_events" {
			t.Fatalf("first message %v", m["type"])
		}
		ws.Read(10 * time.Second) // connected
		sse := feedtest.OpenSSE(t, h.url("/api/v1/monitoring/events/stream"), "")
		clients = append(clients, client{fmt.Sprintf("host %d", i), ws, sse})
	}
	// From here the SSE clients must see every event the stream gets.
	logs := []*sseLog{followSSE(t, d.hosts[0].url("/api/v1/monitoring/events/stream")),
		followSSE(t, d.hosts[1].url("/api/v1/monitoring/events/stream"))}

	jobs := d.targets(12)
	at := time.Now()
	d.abend(jobs[0])
	for _, c := range clients {
		for {
			m := c.ws.Read(10 * time.Second)
			if ev, _ := m["event"].(map[string]any); m["type"] == "event" && ev["event_type"] == "job_abend" {
				if det, _ := ev["details"].(map[string]any); det["job_id"] == jobs[0] {
					break
				}
			}
		}
		t.Logf("%s WebSocket: job_abend %s after %s", c.name, jobs[0], time.Since(at).Round(time.Millisecond))
		for {
			ev := c.sse.Must(t)
			if strings.Contains(ev.Data, `"job_abend"`) && strings.Contains(ev.Data, `"job_id":"`+jobs[0]+`"`) {
				break
			}
		}
	}

	// SIGKILL the holder's worker while ABENDs keep coming.
	tokenBefore := d.status(0).Poller.Token
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, id := range jobs[1:] {
			d.abend(id)
			time.Sleep(150 * time.Millisecond)
		}
	}()
	time.Sleep(400 * time.Millisecond)
	killed := time.Now()
	if err := syscall.Kill(holderPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	elected, committed := d.waitTakeOver(killed, tokenBefore, 1-holderHost)
	t.Logf("SIGKILL of the holder (pid %d): new poller elected after %s, its first commit after %s (TTL %s + interval %s)",
		holderPID, elected, committed, monTTL, monInterval)
	wg.Wait()
	stream := d.eachAbendOnce(jobs)
	for i, l := range logs {
		got := l.caughtUp(t, stream)
		sameTail(t, fmt.Sprintf("host %d SSE", i), got, stream)
	}
}

// The holder's host paused (master and workers SIGSTOPped) past the TTL:
// the other host takes over; woken, the old holder writes nothing more.
// Then a HUP reload of that host: its SSE clients reconnect and resume
// from their last id with no gap, its WebSocket clients get going-away.
func TestMonitoringPausedHostAndReloadKeepTheFeeds(t *testing.T) {
	d := startMonitored(t)
	holderHost, _ := d.holder()
	paused, other := d.hosts[holderHost], d.hosts[1-holderHost]
	logs := followSSE(t, other.url("/api/v1/monitoring/events/stream"))
	jobs := d.targets(10)
	d.abend(jobs[0])

	tokenBefore := d.status(1 - holderHost).Poller.Token
	pids := append([]int{paused.cmd.Process.Pid}, paused.readyPIDs()...)
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGSTOP)
	}
	stopped := time.Now()
	contDone := false
	cont := func() {
		if !contDone {
			contDone = true
			for _, p := range pids {
				syscall.Kill(p, syscall.SIGCONT)
			}
		}
	}
	defer cont()
	elected, committed := d.waitTakeOver(stopped, tokenBefore, 1-holderHost)
	t.Logf("SIGSTOP of the holder's host: the other elected after %s, its first commit after %s (TTL %s + interval %s)",
		elected, committed, monTTL, monInterval)
	d.abend(jobs[1])
	cont() // the old holder wakes: fenced, it steps down
	down := paused.waitLog(`poller: stepped down.*`, 15*time.Second)[0]
	d.checkFencedWrites(down)

	// A reload of the host now polling, with an SSE client on it.
	onReloaded := followSSE(t, other.url("/api/v1/monitoring/events/stream"))
	ws := feedtest.DialWS(t, other.url("/api/v1/monitoring/ws"))
	ws.Read(10 * time.Second)
	ws.Read(10 * time.Second)
	// The HUP must find the SSE client subscribed and holding an id, so that
	// the reload's end of stream is resumed from Last-Event-ID (and counted
	// as a reconnect): it reads the event of an ABEND set once it is in.
	waitUntil(t, 20*time.Second, "the SSE client of the reloading host connected", onReloaded.connected)
	d.abend(jobs[2])
	waitUntil(t, 20*time.Second, "the SSE client of the reloading host to read an event", func() bool {
		got, _ := onReloaded.snapshot()
		return len(got) > 0
	})
	from := len(other.notify.all())
	other.signal(syscall.SIGHUP)
	for _, id := range jobs[3:6] {
		d.abend(id)
		time.Sleep(200 * time.Millisecond)
	}
	for {
		if _, err := ws.TryRead(20 * time.Second); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusGoingAway {
				t.Fatalf("WebSocket on reload: %v, want going away", err)
			}
			break
		}
	}
	rl := other.notify.waitFor(t, "RELOADING=1", from, 10*time.Second)
	other.notify.waitFor(t, "READY=1", rl+1, 30*time.Second)
	for _, id := range jobs[6:] {
		d.abend(id)
	}
	stream := d.eachAbendOnce(jobs)
	for name, l := range map[string]*sseLog{"client across the pause": logs, "client across the reload": onReloaded} {
		got := l.caughtUp(t, stream)
		_, reconnects := l.snapshot()
		sameTail(t, name, got, stream)
		t.Logf("%s: %d events, %d reconnects", name, len(got), reconnects)
	}
	if _, n := onReloaded.snapshot(); n == 0 {
		t.Error("the reload did not end the SSE stream: its client never reconnected")
	}
}

var fencedRx = regexp.MustCompile(`(?m)^resync_tws_fenced_writes_total\{result="(accepted|refused)"\} (\d+)$`)

// checkFencedWrites checks resync_tws_fenced_writes_total on every host
// once the deposed holder stepped down (its log line down): every host
// serves the counts the fence keeps in Redis, the new holder's writes were
// accepted, and when the old holder stepped down on a refused write (rather
// than on seeing its lock lost first) that refusal is counted.
func (d *monitored) checkFencedWrites(down string) {
	t := d.t
	t.Helper()
	meta := d.rdb.HGetAll(context.Background(), poller.KeysFor("").Meta).Val()
	for i, h := range d.hosts {
		got := map[string]string{}
		for _, m := range fencedRx.FindAllStringSubmatch(getBody(t, h.url("/metrics")), -1) {
			got[m[1]] = m[2]
		}
		acc, ref := got["accepted"], got["refused"]
		if acc == "" || ref == "" || acc == "0" {
			t.Fatalf("host %d /metrics: resync_tws_fenced_writes_total %v, want accepted > 0 and refused", i, got)
		}
		// The counts only rise: a host's may be newer than the meta read above.
		if n, _ := strconv.Atoi(ref); n < atoi(meta[poller.MetaFencedRefused]) {
			t.Errorf("host %d: refused %s, Redis had %s before", i, ref, meta[poller.MetaFencedRefused])
		}
		if strings.Contains(down, "fenced") && ref == "0" {
			t.Errorf("host %d: the old holder stepped down on a refused write (%s) but refused is 0", i, down)
		}
	}
	t.Logf("fenced writes: accepted %d refused %d; the old holder: %s", atoi(meta[poller.MetaFencedAccepted]),
		atoi(meta[poller.MetaFencedRefused]), down)
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// getBody is the body of a 200 answer (getTWS's request, on a fresh
// connection).
func getBody(t *testing.T, url string) string {
	t.Helper()
	a := getTWS(t, url)
	if a.code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, a.code)
	}
	return a.body
}
