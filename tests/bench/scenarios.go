package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// steadyResult is one steady-load run of one system.
type steadyResult struct {
	load
	cpuPerReq   time.Duration // whole process tree
	masterShare float64       // of the tree's CPU, the master's own
	idle        memory        // after boot, before any load
	loaded      memory        // the largest seen under load
	spread      float64       // requests of the busiest worker ÷ the idlest's (resync)
	procs       string        // GOMAXPROCS of a worker, as the master set it
}

// steady measures throughput, latency, CPU per request and memory under a
// constant load, after a short warm-up.
func (h *harness) steady(sys *system, path string, d time.Duration) (steadyResult, error) {
	var r steadyResult
	addr := freeAddr()
	s, err := h.start(sys, addr, nil, nil)
	if err != nil {
		return r, err
	}
	defer s.quit()
	url := "http://" + addr + path
	if err := s.waitReady(url, 60*time.Second); err != nil {
		return r, err
	}
	time.Sleep(time.Second) // settle: the boot's garbage, the first heartbeats
	r.idle = sampleMemory(s.pid, sys.hasWorkers)
	if ws := children(s.pid); sys.key == "resync" && len(ws) > 0 {
		r.procs = environ(ws[0], "GOMAXPROCS")
	}
	if _, err := runWrk(h.wrk, url, time.Second); err != nil { // warm-up
		return r, err
	}
	before := s.workerRequests()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // resident memory under load: the largest sample
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m := sampleMemory(s.pid, sys.hasWorkers)
				r.loaded.master = max(r.loaded.master, m.master)
				r.loaded.workerMax = max(r.loaded.workerMax, m.workerMax)
				r.loaded.workers = max(r.loaded.workers, m.workers)
			}
		}
	}()
	cpu0, own0 := treeCPU(s.pid), ownCPU(s.pid)
	l, err := runWrk(h.wrk, url, d)
	cpu1, own1 := treeCPU(s.pid), ownCPU(s.pid)
	close(stop)
	wg.Wait()
	if err != nil {
		return r, err
	}
	r.load = l
	if l.requests > 0 {
		r.cpuPerReq = time.Duration((cpu1 - cpu0) / l.requests * float64(time.Second))
	}
	if cpu1 > cpu0 {
		r.masterShare = (own1 - own0) / (cpu1 - cpu0)
	}
	if sys.key == "resync" {
		r.spread = spread(before, s.workerRequests())
	}
	return r, nil
}

// workerRequests is each resync worker's request count, as its last
// heartbeat told the master; it waits for one more heartbeat first.
func (s *server) workerRequests() map[int]uint64 {
	time.Sleep(1200 * time.Millisecond) // workers beat once a second
	st, err := s.status()
	if err != nil {
		return nil
	}
	out := map[int]uint64{}
	for _, w := range st.Workers {
		out[w.PID] = w.Requests
	}
	return out
}

// spread is max/min of the requests each worker served between two counts.
func spread(before, after map[int]uint64) float64 {
	lo, hi := uint64(0), uint64(0)
	first := true
	for pid, n := range after {
		n -= before[pid]
		if first || n < lo {
			lo = n
		}
		hi = max(hi, n)
		first = false
	}
	if lo == 0 {
		return 0
	}
	return float64(hi) / float64(lo)
}

// fault is a disturbance applied under load, and what it cost.
type fault struct {
	key, name string
	settings  map[string][]string // per system: extra settings or arguments
	every     time.Duration
	// act disturbs s; it may replace it (a master restart).
	act func(h *harness, s *server, held *os.File) *server
}

var faults = []fault{
	{key: "hup", name: "HUP every 2 s", every: 2 * time.Second,
		act: func(_ *harness, s *server, _ *os.File) *server { s.signal(syscall.SIGHUP); return s }},
	{key: "recycle", name: "recycling, max requests 500",
		settings: map[string][]string{
			"resync":   {"RESYNC_MAX_REQUESTS=500", "RESYNC_MAX_REQUESTS_JITTER=50"},
			"gunicorn": {"--max-requests", "500", "--max-requests-jitter", "50"},
		}},
	{key: "ttin", name: "TTIN, TTOU alternately every 2 s", every: 2 * time.Second,
		act: func() func(*harness, *server, *os.File) *server {
			n := 0
			return func(_ *harness, s *server, _ *os.File) *server {
				n++
				if n%2 == 1 {
					s.signal(syscall.SIGTTIN)
				} else {
					s.signal(syscall.SIGTTOU)
				}
				return s
			}
		}()},
	{key: "kill", name: "SIGKILL of a worker every 2 s", every: 2 * time.Second,
		act: func(_ *harness, s *server, _ *os.File) *server {
			if ws := children(s.pid); len(ws) > 0 {
				syscall.Kill(ws[0], syscall.SIGKILL)
			}
			return s
		}},
	{key: "restart", name: "master restart every 3 s, socket held outside", every: 3 * time.Second,
		act: func(h *harness, s *server, held *os.File) *server {
			s.stop()
			n, err := h.start(s.sys, "", held, s.extra)
			if err != nil {
				fmt.Fprintln(os.Stderr, "restart:", err)
				return s
			}
			return n
		}},
}

// faultResult is what a fault cost under load.
type faultResult struct {
	load
	actions int
}

// disturb runs sys under load for d while applying f.
func (h *harness) disturb(sys *system, f fault, path string, d time.Duration) (faultResult, error) {
	var r faultResult
	held, addr, err := holdSocket()
	if err != nil {
		return r, err
	}
	defer held.Close()
	s, err := h.start(sys, "", held, f.settings[sys.key])
	if err != nil {
		return r, err
	}
	url := "http://" + addr + path
	if err := s.waitReady(url, 60*time.Second); err != nil {
		s.quit()
		return r, err
	}
	time.Sleep(500 * time.Millisecond)
	done := make(chan struct{})
	var cur = s
	var mu sync.Mutex
	go func() {
		defer close(done)
		if f.act == nil {
			return
		}
		t := time.NewTicker(f.every)
		defer t.Stop()
		end := time.After(d - f.every/2)
		for {
			select {
			case <-end:
				return
			case <-t.C:
				mu.Lock()
				cur = f.act(h, cur, held)
				r.actions++
				mu.Unlock()
			}
		}
	}()
	l, err := runWrk(h.wrk, url, d)
	<-done
	cur.quit()
	r.load = l
	return r, err
}

// holdSocket binds a listening socket as systemd would hold it, and returns
// its file (to pass as fd 3) and address. The harness never accepts on it.
func holdSocket() (*os.File, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	defer l.Close() // the file is a dup: the socket lives on in it
	f, err := l.(*net.TCPListener).File()
	return f, l.Addr().String(), err
}

// firstResponse measures socket activation: systemd-socket-activate listens,
// a client connects and sends its request, and only then does the server
// start; the time is from the connect to the first byte of the answer.
func (h *harness) firstResponse(sys *system, path string) (time.Duration, error) {
	addr := freeAddr()
	_, port, _ := net.SplitHostPort(addr)
	argv, env := sys.command("", nil)
	args := []string{"-l", addr, "--fdname=http"}
	for _, kv := range env {
		args = append(args, "-E", kv)
	}
	cmd := exec.Command("systemd-socket-activate", append(args, argv...)...)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start systemd-socket-activate: %w", err)
	}
	s := &server{sys: sys, cmd: cmd, pid: cmd.Process.Pid, env: env, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.exited) }()
	defer s.quit()
	p, _ := strconv.Atoi(port)
	deadline := time.Now().Add(10 * time.Second)
	for !listening(p) {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("systemd-socket-activate never listened on %s", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t0 := time.Now()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, fmt.Errorf("first response of %s: %w", sys.name, err)
	}
	t := time.Since(t0)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("first response of %s: %s", sys.name, resp.Status)
	}
	return t, nil
}

func environ(pid int, key string) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}
