package tws

import (
	"github.com/resync/resync/internal/lazy"
	"github.com/resync/resync/internal/metrics"
)

// The series each worker reports in its heartbeat (metrics.Series): summed
// over workers by the master, shown in /metrics and /api/v1/metrics.
func init() {
	metrics.RegisterSeries(
		metrics.Series{Name: "tws_cache_hits_total", Help: "TWS answers served from a worker's memory cache."},
		metrics.Series{Name: "tws_cache_shared_hits_total", Help: "TWS answers served from the shared (Redis) cache."},
		metrics.Series{Name: "tws_cache_misses_total", Help: "TWS requests not fresh in the memory cache."},
		metrics.Series{Name: "tws_cache_evictions_total", Help: "Entries evicted from memory caches (item or byte bound)."},
		metrics.Series{Name: "tws_cache_stale_total", Help: "Stale TWS answers served (engine failing, or another worker refreshing)."},
		metrics.Series{Name: "tws_upstream_calls_total", Help: "Cache fills: calls to the HWA engine."},
		metrics.Series{Name: "tws_upstream_errors_total", Help: "Cache fills that failed."},
		metrics.Series{Name: "tws_cache_bytes", Help: "Bytes held by the memory caches (real size)."},
		metrics.Series{Name: "tws_cache_items", Help: "Entries held by the memory caches."},
		metrics.Series{Name: "tws_executor_refused_total", Help: "CPU-heavy work refused because the executor was full (503)."},
		metrics.Series{Name: "tws_executor_busy", Help: "Executor slots in use."},
		metrics.Series{Name: "tws_simulated", Help: "Workers whose HWA engine is resync's built-in simulator."},
		metrics.Series{Name: "lazy_hwa_client_tls_loaded", Help: "Workers that have set up the HWA client's TLS (built on first use)."},
		metrics.Series{Name: "lazy_hwa_client_tls_load_seconds", Help: "Time spent setting up the HWA client's TLS, summed over workers.", Scale: 1e-6},
		metrics.Series{Name: "lazy_graph_index_loaded", Help: "Workers that have built the dependency-graph index (built on first use)."},
		metrics.Series{Name: "lazy_graph_index_load_seconds", Help: "Time the latest build of the dependency-graph index took (reading the plan, decoding, indexing), summed over workers.", Scale: 1e-6},
		metrics.Series{Name: "lazy_graph_index_builds_total", Help: "Builds of the dependency-graph index: the first, then one per expiry (the dependency-graph TTL)."},
	)
}

// Series are this worker's values of those series.
func (s *Service) Series() map[string]int64 {
	c, e := s.o.Cache.Stats(), s.o.Executor.Stats()
	m := map[string]int64{
		"tws_cache_hits_total": int64(c.Hits), "tws_cache_shared_hits_total": int64(c.SharedHits),
		"tws_cache_misses_total": int64(c.Misses), "tws_cache_evictions_total": int64(c.Evictions),
		"tws_cache_stale_total": int64(c.Stale), "tws_upstream_calls_total": int64(c.Fills),
		"tws_upstream_errors_total": int64(c.FillErrors), "tws_cache_bytes": c.Bytes, "tws_cache_items": int64(c.Items),
		"tws_executor_refused_total": int64(e.Refused), "tws_executor_busy": int64(e.Busy),
	}
	if s.o.Simulated {
		m["tws_simulated"] = 1
	}
	parts := []lazy.Stat{s.graph.Stat()} // this service's own
	for _, l := range lazy.Stats() {
		if l.Name == "hwa_client_tls" { // one client per worker process
			parts = append(parts, l)
		}
	}
	for _, l := range parts {
		if l.Loaded {
			m["lazy_"+l.Name+"_loaded"] = 1
		}
		m["lazy_"+l.Name+"_load_seconds"] = int64(l.LoadSeconds * 1e6)
	}
	m["lazy_graph_index_builds_total"] = int64(s.graph.Stat().Builds)
	return m
}
