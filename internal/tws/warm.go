package tws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/resync/resync/internal/hwa"
)

// Client is the service's HWA client, nil without an engine: the monitoring
// poller reads the plan through the same client (breaker, retries, metrics).
func (s *Service) Client() *hwa.Client { return s.o.Client }

// Warm fills the cache from what one poll of the whole plan read (the
// monitoring poller: poller.FromHWA): the status summary and the first page
// of each list as GET /api/v1/tws/workstations, /jobs and /jobstreams ask
// for them without parameters. Their next reads are hits, on this worker
// and, through the shared tier, on every other, however the cache's TTL and
// the poll interval fall. The engine is asked nothing but its info, cached.
func (s *Service) Warm(ctx context.Context, ws []hwa.Workstation, jobs []hwa.Job, streams []hwa.JobStream) {
	if s.o.Client == nil {
		return
	}
	first := pageParams{hwa.Page{Limit: defaultLimit}}
	warm := func(key, path string, data any, count int) {
		r := &http.Request{URL: &url.URL{Path: "/api/v1/tws/" + path}}
		s.put(ctx, key, first.page(r, data, count))
	}
	warm("workstations?"+first.key(), "workstations", views(ws[:min(len(ws), defaultLimit)]), len(ws))
	warm(jobsKey(first, hwa.JobFilter{}), "jobs", jobs[:min(len(jobs), defaultLimit)], len(jobs))
	warm("jobstreams?"+first.key(), "jobstreams", streams[:min(len(streams), defaultLimit)], len(streams))
	info, err := s.engineInfo(ctx)
	if err != nil {
		s.o.Logger.Debug("tws: warm the status summary", "error", err)
		return
	}
	s.put(ctx, "status", summarize(info, ws, jobs, streams, s.o.Simulated))
}

// put stores v under key, as a fill would.
func (s *Service) put(ctx context.Context, key string, v any) {
	b, err := s.fragment(v)
	if err != nil {
		s.o.Logger.Debug("tws: warm the cache", "key", key, "error", err)
		return
	}
	s.o.Cache.Put(ctx, keyPrefix+key, b, s.o.TTL.JobStatus)
}

// engineInfo is GET /engine's answer, from the cache when it is there.
func (s *Service) engineInfo(ctx context.Context) (*hwa.EngineInfo, error) {
	res, err := s.cached(ctx, "engine", s.o.TTL.Model, fetchEngine)
	if err != nil {
		return nil, err
	}
	var v struct {
		Data hwa.EngineInfo `json:"data"`
	}
	if err := json.Unmarshal(append(append([]byte{'{'}, res.Value...), '}'), &v); err != nil {
		return nil, fmt.Errorf("decode cached engine info: %w", err)
	}
	return &v.Data, nil
}
