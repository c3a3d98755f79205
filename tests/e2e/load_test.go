//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/resync/resync/tests/loadclient"
)

const base = "http://127.0.0.1:8000"

// load is what the stages run during a reload, a restart or an upgrade: wrk
// and the project's raw client (keep-alive GETs, fresh GETs, keep-alive POSTs
// with a body), neither of which retries. A refused connection counts as a
// failure too: under systemd the socket is held across a restart.
type load struct {
	raw *loadclient.Load
	wrk *loadclient.Wrk
}

func startLoad(clients int) (*load, error) { return startLoadOn(clients, loadclient.Options{}) }

// startLoadOn is startLoad on the paths and statuses o names (the health
// check when it names none); wrk GETs o.GetPath too.
func startLoadOn(clients int, o loadclient.Options) (*load, error) {
	path := o.GetPath
	if path == "" {
		path = "/api/v1/health/live"
	}
	w, err := loadclient.StartWrk(base+path, clients)
	if err != nil {
		return nil, err
	}
	o.Addr, o.KeepAlive, o.Fresh, o.Post = "127.0.0.1:8000", clients/2, max(clients/4, 1), max(clients/4, 1)
	return &load{raw: loadclient.Start(o), wrk: w}, nil
}

// stop ends the load and returns what each load saw, and a failure summary
// ("" when none).
func (l *load) stop() (string, string) {
	r := l.raw.Stop()
	w, err := l.wrk.Finish()
	var fails []string
	if err != nil {
		fails = append(fails, err.Error())
	}
	if w.Failed() > 0 {
		fails = append(fails, "wrk: "+w.String())
	}
	if len(r.Failures) > 0 {
		fails = append(fails, "raw client: "+r.String())
	}
	seen := fmt.Sprintf("wrk %d requests, %d failed; raw client %d ok, %d failed", w.Requests, w.Failed(), r.OK, len(r.Failures))
	return seen, strings.Join(fails, "; ")
}

// okCount is the raw client's answers so far.
func (l *load) okCount() int { return int(l.raw.OK()) }

// fresh is the client of the stages' checks: one connection per request, as
// curl makes. A kept-alive connection from before a reload may get one more
// answer from an old worker (the drain's rule), with the old configuration.
var fresh = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

// get1 makes one request with a fresh connection (a check, not load).
func get1() error {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/api/v1/health/live", nil)
	resp, err := fresh.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"alive"`) {
		return fmt.Errorf("status %d: %.100s", resp.StatusCode, body)
	}
	return nil
}
