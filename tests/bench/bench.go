package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const (
	livePath = "/api/v1/health/live"
	twsPath  = "/api/v1/tws/status" // cached; served by the embedded simulator in development
)

// results is everything one run of the harness measured.
type results struct {
	systems  []*system
	rounds   int
	duration time.Duration
	steady   map[string][]steadyResult         // by system key, one per round, on livePath
	tws      map[string][]steadyResult         // the same on twsPath
	first    map[string][]time.Duration        // by system key
	faults   map[string]map[string]faultResult // by fault key, then system key
	faultD   time.Duration
	twsBytes int // the size of resync's TWS status answer; 0 when it has none
	machine  machine
	loads    []string // the load average at the start of each round
}

// bench runs every scenario, alternating between the systems.
func (h *harness) bench(rounds int, d, faultD time.Duration, only map[string]bool) (*results, error) {
	r := &results{
		systems: []*system{h.resyncSystem("resync, defaults"), h.plainSystem(), h.gunicornSystem()},
		rounds:  rounds, duration: d, faultD: faultD,
		steady:  map[string][]steadyResult{},
		tws:     map[string][]steadyResult{},
		first:   map[string][]time.Duration{},
		faults:  map[string]map[string]faultResult{},
		machine: describeMachine(),
	}
	var err error
	if len(only) > 0 {
		var keep []*system
		for _, s := range r.systems {
			if only[s.key] {
				keep = append(keep, s)
			}
		}
		r.systems = keep
	}
	r.twsBytes, err = h.fetchTWSBody(h.resyncSystem("resync, defaults"))
	if err != nil {
		return nil, err
	}
	withTWS := r.twsBytes > 0
	// The same binary with an engine configured: no embedded simulator to
	// build before the workers start, as on a production host.
	engine := h.resyncSystem("resync, RESYNC_TWS_URL set", "RESYNC_TWS_URL=http://127.0.0.1:9/")
	// On the TWS route resync's rate limit (RESYNC_RATE_LIMIT_DEFAULT, in
	// Redis) would refuse one load client all but 100 requests a minute: it
	// is off there, so that the row measures the cache.
	twsSys := map[string]*system{"resync": h.resyncSystem("resync, defaults", "RESYNC_RATE_LIMIT_DEFAULT=0/1m")}
	for i := 0; i < rounds; i++ {
		r.loads = append(r.loads, loadavg())
		fmt.Fprintf(os.Stderr, "round %d: load average %s\n", i+1, r.loads[i])
		for _, sys := range r.systems {
			if withTWS {
				ts := sys
				if alt, ok := twsSys[sys.key]; ok {
					ts = alt
				}
				s, err := h.steady(ts, twsPath, d)
				if err != nil {
					return nil, fmt.Errorf("round %d, %s, %s: %w", i+1, sys.name, twsPath, err)
				}
				r.tws[sys.key] = append(r.tws[sys.key], s)
				fmt.Fprintf(os.Stderr, "round %d %-40s %8.0f req/s  p99 %-8s CPU %-7s/req  on %s\n",
					i+1, sys.name, s.rps(), s.p99, s.cpuPerReq, twsPath)
			}
			t0 := time.Now()
			s, err := h.steady(sys, livePath, d)
			if err != nil {
				return nil, fmt.Errorf("round %d, %s: %w", i+1, sys.name, err)
			}
			r.steady[sys.key] = append(r.steady[sys.key], s)
			fmt.Fprintf(os.Stderr, "round %d %-40s %8.0f req/s  p99 %-8s CPU %-7s/req  RSS worker %.1f MB  spread %.2f  failed %d  (%s)\n",
				i+1, sys.name, s.rps(), s.p99, s.cpuPerReq, s.loaded.workerMax, s.spread, s.failed, time.Since(t0).Round(time.Second))
			t, err := h.firstResponse(sys, livePath)
			if err != nil {
				return nil, err
			}
			r.first[sys.key] = append(r.first[sys.key], t)
			fmt.Fprintf(os.Stderr, "round %d %-40s first response %s\n", i+1, sys.name, t.Round(100*time.Microsecond))
		}
		if t, err := h.firstResponse(engine, livePath); err == nil {
			r.first["resync-engine"] = append(r.first["resync-engine"], t)
			fmt.Fprintf(os.Stderr, "round %d %-40s first response %s\n", i+1, engine.name, t.Round(100*time.Microsecond))
		}
	}
	for _, f := range faults {
		r.faults[f.key] = map[string]faultResult{}
		if faultD <= 0 {
			continue
		}
		for _, sys := range r.systems {
			if !sys.hasWorkers {
				continue
			}
			t0 := time.Now()
			fr, err := h.disturb(sys, f, livePath, faultD)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", f.name, sys.name, err)
			}
			r.faults[f.key][sys.key] = fr
			fmt.Fprintf(os.Stderr, "%-48s %-40s %8.0f requests  failed %d [%s]  connect errors %d  (%d actions, %s)\n",
				f.name, sys.name, fr.requests, fr.failed, fr.breakdown, fr.connectErrors, fr.actions, time.Since(t0).Round(time.Second))
		}
	}
	r.machine.loadAfter = loadavg()
	return r, nil
}

// fetchTWSBody saves resync's answer on twsPath for the other systems to
// serve from memory; false when resync does not serve it (yet).
func (h *harness) fetchTWSBody(sys *system) (int, error) {
	addr := freeAddr()
	s, err := h.start(sys, addr, nil, nil)
	if err != nil {
		return 0, err
	}
	defer s.quit()
	if err := s.waitReady("http://"+addr+livePath, 60*time.Second); err != nil {
		return 0, err
	}
	resp, err := http.Get("http://" + addr + twsPath)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fmt.Fprintf(os.Stderr, "%s answers %s: not measured\n", twsPath, resp.Status)
		os.WriteFile(h.twsBody(), nil, 0o644) // the FastAPI app reads it at import
		return 0, nil
	}
	return len(body), os.WriteFile(h.twsBody(), body, 0o644)
}

// compare measures steady load for resync with each set of settings.
func (h *harness) compare(sets []string, rounds int, d time.Duration) error {
	var systems []*system
	for _, set := range sets {
		systems = append(systems, h.resyncSystem("resync "+set, splitFields(set)...))
	}
	res := map[*system][]steadyResult{}
	for i := 0; i < rounds; i++ {
		for _, sys := range systems {
			s, err := h.steady(sys, livePath, d)
			if err != nil {
				return err
			}
			res[sys] = append(res[sys], s)
			fmt.Fprintf(os.Stderr, "round %d %-50s %8.0f req/s  p99 %-8s CPU %s/req\n", i+1, sys.name, s.rps(), s.p99, s.cpuPerReq)
		}
	}
	base := res[systems[0]]
	fmt.Printf("| configuration | req/s | ratio | p99 | CPU/request | ratio | worker RSS loaded | spread |\n|---|---|---|---|---|---|---|---|\n")
	for _, sys := range systems {
		rs := res[sys]
		fmt.Printf("| %s | %.0f | %.2f | %s | %s | %.2f | %.1f MB | %.2f |\n", sys.name,
			med(rs, rps), med(rs, rps)/med(base, rps), msDur(med(rs, p99)), usDur(med(rs, cpuReq)),
			med(rs, cpuReq)/med(base, cpuReq), med(rs, workerLoaded), med(rs, spreadOf))
	}
	return nil
}
