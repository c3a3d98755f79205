package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// soak runs resync for d under steady load with periodic reloads and
// recycles, and reports errors and the trend of the master's and workers'
// resident memory: a leak shows as growth. Load comes in segments of wrk
// (soakSegment each), so that errors and memory are seen as they go; a HUP
// every soakReload, and a request budget small enough that each worker is
// recycled every few seconds.
//
//	make soak DURATION=10m
func (h *harness) soak(d time.Duration) error {
	const (
		soakSegment = 10 * time.Second
		soakReload  = 30 * time.Second
	)
	sys := h.resyncSystem("resync, soak", "RESYNC_MAX_REQUESTS=50000", "RESYNC_MAX_REQUESTS_JITTER=5000")
	addr := freeAddr()
	s, err := h.start(sys, addr, nil, nil)
	if err != nil {
		return err
	}
	defer s.quit()
	url := "http://" + addr + livePath
	if err := s.waitReady(url, 60*time.Second); err != nil {
		return err
	}
	fmt.Printf("soak: resync for %s under wrk (%d connections), HUP every %s, RESYNC_MAX_REQUESTS=50000; load average %s\n\n",
		d, h.wrk.conns, soakReload, loadavg())
	fmt.Println("| minute | req/s | failed | connect errors | master RSS | largest worker RSS | workers seen (at the samples) | generation |")
	fmt.Println("|---|---|---|---|---|---|---|---|")

	start := time.Now()
	lastReload := start
	seen := map[int]bool{}
	var samples []soakSample
	var totalReq float64
	var totalFailed, totalConnect int
	for time.Since(start) < d {
		if time.Since(lastReload) >= soakReload {
			s.signal(syscall.SIGHUP)
			lastReload = time.Now()
		}
		l, err := runWrk(h.wrk, url, min(soakSegment, d-time.Since(start)+time.Second))
		if err != nil {
			return err
		}
		for _, c := range children(s.pid) {
			seen[c] = true
		}
		m := sampleMemory(s.pid, true)
		st, _ := s.status()
		sm := soakSample{at: time.Since(start), load: l, mem: m, workersSeen: len(seen), generation: st.Generation}
		samples = append(samples, sm)
		totalReq += l.requests
		totalFailed += l.failed
		totalConnect += l.connectErrors
		fmt.Printf("| %.1f | %.0f | %d | %d | %s | %s | %d | %d |\n", sm.at.Minutes(), l.rps(), l.failed, l.connectErrors,
			mb(m.master), mb(m.workerMax), sm.workersSeen, sm.generation)
		select {
		case <-s.exited:
			return fmt.Errorf("resync exited during the soak; its log: %s", s.log)
		default:
		}
	}
	master := trend(samples, func(x soakSample) float64 { return x.mem.master })
	worker := trend(samples, func(x soakSample) float64 { return x.mem.workerMax })
	fmt.Printf("\n%.0f requests, %d failed, %d connect errors; %d workers served (recycles and reloads), generation %d.\n",
		totalReq, totalFailed, totalConnect, len(seen), samples[len(samples)-1].generation)
	fmt.Printf("RSS trend (least squares over the run): master %+.2f MB/min (%s → %s), largest worker %+.2f MB/min (%s → %s).\n",
		master, mb(samples[0].mem.master), mb(samples[len(samples)-1].mem.master),
		worker, mb(samples[0].mem.workerMax), mb(samples[len(samples)-1].mem.workerMax))
	var verdict []string
	if totalFailed+totalConnect > 0 {
		verdict = append(verdict, "requests failed")
	}
	if d >= 2*time.Minute && master*d.Minutes() > 5 {
		verdict = append(verdict, "the master's memory grows")
	}
	if len(verdict) > 0 {
		return fmt.Errorf("soak: %s", strings.Join(verdict, "; "))
	}
	fmt.Fprintln(os.Stderr, "soak: no failed request, no memory growth")
	return nil
}

type soakSample struct {
	at          time.Duration
	load        load
	mem         memory
	workersSeen int
	generation  int
}

// trend is the least-squares slope of f over time, per minute.
func trend(xs []soakSample, f func(soakSample) float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var n, sx, sy, sxx, sxy float64
	for _, x := range xs {
		t, y := x.at.Minutes(), f(x)
		n++
		sx += t
		sy += y
		sxx += t * t
		sxy += t * y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
