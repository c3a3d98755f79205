package httpapi

import "context"

// Probe is a readiness check that says more than yes or no: a dependency
// can be down without the instance leaving the load balancer (Critical
// false: "degraded", still 200), and the answer carries details such as
// the probe's latency.
type Probe func(ctx context.Context) ProbeResult

// ProbeResult is one probe's finding.
type ProbeResult struct {
	Err      error          // nil: ok
	Critical bool           // with Err: the answer is 503 not_ready
	Fields   map[string]any // shown beside "status" (and "error")
}

// run reports the probe as checks.<name>; ok is false when it fails critically.
func (p Probe) run(ctx context.Context) (out map[string]any, ok bool) {
	res := p(ctx)
	out = map[string]any{"status": "ok"}
	for k, v := range res.Fields {
		out[k] = v
	}
	if res.Err == nil {
		return out, true
	}
	out["error"] = res.Err.Error()
	if res.Critical {
		out["status"] = "fail"
		return out, false
	}
	out["status"] = "degraded"
	return out, true
}
