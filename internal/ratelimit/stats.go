package ratelimit

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// stats counts the limiter's decisions in this worker.
type stats struct {
	allowed, leased, refusals, localRefusals, errors, failedOpen atomic.Int64
}

var decisionsDesc = prometheus.NewDesc("resync_ratelimit_decisions_total",
	"Rate-limit decisions of the answering worker: allowed (by Redis), allowed_leased (a token this worker had leased, no Redis call), refused (by Redis), refused_local (remembered refusal, no Redis call), "+
		"redis_error (Redis failed; served when RESYNC_RATE_LIMIT_FAIL=open, else 503).",
	[]string{"decision"}, nil)

var leaseExpiredDesc = prometheus.NewDesc("resync_ratelimit_lease_expired_tokens_total",
	"Tokens the answering worker leased from Redis and dropped unused: requests the limit counted that no request used.", nil, nil)

var failedOpenDesc = prometheus.NewDesc("resync_ratelimit_failed_open_total",
	"Requests the answering worker served unlimited because Redis failed.", nil, nil)

// Collector exports the counters for /metrics.
func (l *Limiter) Collector() prometheus.Collector { return collector{l} }

type collector struct{ l *Limiter }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- decisionsDesc
	ch <- failedOpenDesc
	ch <- leaseExpiredDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := &c.l.stats
	for name, v := range map[string]int64{
		"allowed": s.allowed.Load(), "allowed_leased": s.leased.Load(), "refused": s.refusals.Load(),
		"refused_local": s.localRefusals.Load(), "redis_error": s.errors.Load(),
	} {
		ch <- prometheus.MustNewConstMetric(decisionsDesc, prometheus.CounterValue, float64(v), name)
	}
	ch <- prometheus.MustNewConstMetric(failedOpenDesc, prometheus.CounterValue, float64(s.failedOpen.Load()))
	c.l.leases.mu.Lock()
	expired := c.l.leases.expired
	c.l.leases.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(leaseExpiredDesc, prometheus.CounterValue, float64(expired))
}
