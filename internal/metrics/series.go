package metrics

import (
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Series is a named number that workers report beside their request counts
// (protocol.Counters.Extra: the TWS cache's hits, say). The master sums it
// over workers — counters (…_total) also over retired ones, so they never
// go back; gauges over live workers only — into Totals.Extra, and /metrics
// shows it as resync_<Name>.
//
// A package registers its series in an init, so that the master (the same
// binary) knows their help text; an unregistered name is in the JSON but
// not in /metrics.
type Series struct {
	Name  string // [a-z0-9_]; a counter's ends in _total
	Help  string
	Scale float64 // the exposed value is the reported integer times Scale (0 = 1): µs → s
}

var (
	seriesMu sync.RWMutex
	series   = map[string]Series{}
)

// RegisterSeries makes series known; registering a name again replaces it.
func RegisterSeries(s ...Series) {
	seriesMu.Lock()
	defer seriesMu.Unlock()
	for _, x := range s {
		series[x.Name] = x
	}
}

func registeredSeries() []Series {
	seriesMu.RLock()
	defer seriesMu.RUnlock()
	out := make([]Series, 0, len(series))
	for _, name := range slices.Sorted(maps.Keys(series)) {
		out = append(out, series[name])
	}
	return out
}

func (s Series) desc() *prometheus.Desc { return desc(s.Name, s.Help) }

func (c reportCollector) collectSeries(ch chan<- prometheus.Metric) {
	for _, s := range registeredSeries() {
		v, ok := c.r.Totals.Extra[s.Name]
		if !ok {
			continue
		}
		kind, scale := prometheus.GaugeValue, s.Scale
		if len(s.Name) > 6 && s.Name[len(s.Name)-6:] == "_total" {
			kind = prometheus.CounterValue
		}
		if scale == 0 {
			scale = 1
		}
		ch <- prometheus.MustNewConstMetric(s.desc(), kind, float64(v)*scale)
	}
}
