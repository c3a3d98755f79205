package master

import (
	"time"
)

// sample reads /proc once a second, and recycles a worker whose memory grew
// past RESYNC_WORKER_MAX_RSS_MB — gracefully, as after max requests.
func (m *Master) sample(now time.Time) {
	if m.opt.Monitor == nil || now.Before(m.nextSample) {
		return
	}
	m.nextSample = now.Add(sampleEvery)
	m.rss = m.opt.Monitor.Sample(m.snapshot())
	limit := uint64(m.cfg.Metrics.WorkerMaxRSSMB) << 20
	if limit == 0 || m.stopping {
		return
	}
	for _, w := range m.workers {
		if rss := m.rss[w.pid]; rss > limit && m.active(w) && w.ready() {
			w.recycle = recycleMaxRSS
			m.log.Warn("worker over its memory limit; recycling it", "worker_pid", w.pid, "generation", w.gen,
				"rss_mb", rss>>20, "limit_mb", m.cfg.Metrics.WorkerMaxRSSMB)
		}
	}
}
