package monitoring

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/resync/resync/internal/events"
)

// The plan as Prometheus gauges. Whichever worker answers /metrics reads
// them from what the poller stored, so every worker says the same. Labels
// come from bounded sets: HWA's status enums (anything else is OTHER), the
// event types, linked/unlinked. No job or workstation names.
var (
	descJobs         = prometheus.NewDesc("resync_tws_jobs", "Jobs in the plan per HWA status.", []string{"status"}, nil)
	descJobClass     = prometheus.NewDesc("resync_tws_jobs_by_class", "Jobs in the plan per class: running, completed, failed, pending.", []string{"class"}, nil)
	descStreams      = prometheus.NewDesc("resync_tws_job_streams", "Job streams in the plan per HWA status.", []string{"status"}, nil)
	descWorkstations = prometheus.NewDesc("resync_tws_workstations", "Workstations per link state.", []string{"link"}, nil)
	descAbends       = prometheus.NewDesc("resync_tws_abends", "Jobs of the current plan that ended in ABEND (or FAIL, ERROR): the ABENDs since the plan began.", nil, nil)
	descHealth       = prometheus.NewDesc("resync_tws_system_health", "System health by the original's rule: 0 healthy, 1 degraded, 2 critical.", nil, nil)
	descPollAge      = prometheus.NewDesc("resync_tws_last_poll_age_seconds", "Seconds since the last good poll (the data's age).", nil, nil)
	descPollDuration = prometheus.NewDesc("resync_tws_last_poll_duration_seconds", "How long the last good poll took.", nil, nil)
	descPolls        = prometheus.NewDesc("resync_tws_polls_total", "Polls committed, by every poller of the deployment.", nil, nil)
	descPollErrors   = prometheus.NewDesc("resync_tws_poll_errors_total", "Polls that failed.", nil, nil)
	descEvents       = prometheus.NewDesc("resync_tws_events_total", "Events appended to the stream, per type.", []string{"type"}, nil)
	descFenced       = prometheus.NewDesc("resync_tws_fenced_writes_total", "The poller's writes by the fence's verdict: accepted, or refused for a stale fencing token (a deposed poller's late write, which wrote nothing).", []string{"result"}, nil)
	descToken        = prometheus.NewDesc("resync_tws_poller_token", "Fencing token of the poller that wrote last; it rises at each take-over.", nil, nil)
	descHolder       = prometheus.NewDesc("resync_tws_poller_holder", "1 for the host:pid of the poller that wrote last.", []string{"holder"}, nil)
)

// jobStatuses and streamStatuses are HWA's enums (../shared/HWA.md).
var (
	jobStatuses = set("HOLD READY FENCE INTRO FAIL EXEC WAIT SUPPR END SUCC SUCCP ABEND CANCL CANCLP ABENP PEND " +
		"SUSP STUCK EXTRN INTRPT COMPLT ERROR PENDPRED STARTED UNDCDED ARRVING NONREPPRED")
	streamStatuses = set("READY HOLD EXEC ABEND CANCL CANCLP SUCC UNKNOWN ADD FAIL WAIT INTRO ABENP SUCCP SUSP STUCK " +
		"PEND BOUND SUPPR EXTRN COMPLETE DELETED ERROR PENDINGPRED STARTED UNDECIDED WAITFORINPUT INTERRUPTED " +
		"NONREPORTINGPRED SUPPRBYCOND")
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

func bounded(known map[string]bool, status string) string {
	if known[status] {
		return status
	}
	return "OTHER"
}

// Collector returns the Prometheus collector of the plan.
func (s *Service) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Service }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJobs, descJobClass, descStreams, descWorkstations, descAbends, descHealth,
		descPollAge, descPollDuration, descPolls, descPollErrors, descEvents, descFenced, descToken, descHolder} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	if c.s.off != nil {
		return // no Redis, no plan: no series rather than zeros
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	snap, sum, m, err := c.s.state.snapshot(ctx)
	if err != nil {
		return // Redis is down: no plan series rather than wrong ones
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	counter(descPolls, float64(m.Polls))
	counter(descPollErrors, float64(m.Errors))
	counter(descFenced, float64(m.FencedAccepted), "accepted")
	counter(descFenced, float64(m.FencedRefused), "refused")
	byType, _ := c.s.o.Redis.HMGet(ctx, c.s.keys.Meta, eventKeys()...).Result()
	for i, typ := range events.Types {
		n := 0.0
		if i < len(byType) {
			if v, ok := byType[i].(string); ok {
				n, _ = strconv.ParseFloat(v, 64)
			}
		}
		counter(descEvents, n, typ)
	}
	if m.Holder != "" {
		gauge(descToken, float64(m.Token))
		gauge(descHolder, 1, m.Holder)
	}
	if snap == nil {
		return
	}
	gauge(descPollAge, time.Since(m.LastPoll).Seconds())
	gauge(descPollDuration, float64(m.LastDurationMS)/1000)
	jobs := map[string]int{}
	for _, j := range snap.Jobs {
		jobs[bounded(jobStatuses, j.Status)]++
	}
	for st, n := range jobs {
		gauge(descJobs, float64(n), st)
	}
	gauge(descJobClass, float64(sum.JobsRunning), events.ClassRunning)
	gauge(descJobClass, float64(sum.JobsCompleted), events.ClassCompleted)
	gauge(descJobClass, float64(sum.JobsFailed), events.ClassFailed)
	gauge(descJobClass, float64(sum.JobsPending), events.ClassPending)
	streams := map[string]int{}
	for _, js := range snap.JobStreams {
		streams[bounded(streamStatuses, js.Status)]++
	}
	for st, n := range streams {
		gauge(descStreams, float64(n), st)
	}
	unlinked := snap.UnlinkedWorkstations()
	gauge(descWorkstations, float64(len(snap.Workstations)-unlinked), "linked")
	gauge(descWorkstations, float64(unlinked), "unlinked")
	gauge(descAbends, float64(sum.JobsFailed))
	gauge(descHealth, map[string]float64{events.Healthy: 0, events.Degraded: 1, events.Critical: 2}[sum.SystemHealth])
}

func eventKeys() []string {
	out := make([]string, len(events.Types))
	for i, t := range events.Types {
		out[i] = "events:" + t
	}
	return out
}
