package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/resync/resync/internal/dashboard"
	"github.com/resync/resync/internal/metrics"
)

// Master answers questions only the master can: every worker's numbers. The
// worker that takes a request asks it, so the answer is the same whichever
// worker that is.
type Master interface {
	// Call runs a control-socket command ("metrics", "gc", "status") and
	// returns its data.
	Call(cmd string) (json.RawMessage, error)
}

func mountMetrics(r *mux.Router, o Options, g Guards) {
	if o.Master == nil {
		return
	}
	m := &metricsAPI{master: o.Master, collectors: o.Collectors}
	r.HandleFunc("/metrics", m.prometheus).Methods(http.MethodGet)
	api := r.PathPrefix("/api/v1").Subrouter()
	api.HandleFunc("/metrics", m.json).Methods(http.MethodGet)
	api.Handle("/metrics/dashboard", dashboard.Handler())
	// GET too: the guide's own command is a plain curl.
	api.Handle("/metrics/gc", g.Admin(http.HandlerFunc(m.gc))).Methods(http.MethodGet, http.MethodPost)
	api.Handle("/workers", g.Admin(http.HandlerFunc(m.workers))).Methods(http.MethodGet)
}

type metricsAPI struct {
	master     Master
	collectors []prometheus.Collector
}

func (m *metricsAPI) json(w http.ResponseWriter, r *http.Request) {
	data, err := m.master.Call("metrics")
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "metrics unavailable: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

func (m *metricsAPI) prometheus(w http.ResponseWriter, r *http.Request) {
	data, err := m.master.Call("metrics")
	var rep metrics.Report
	if err == nil {
		err = json.Unmarshal(data, &rep)
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "metrics unavailable: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := metrics.WritePrometheus(w, rep, m.collectors...); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func (m *metricsAPI) gc(w http.ResponseWriter, r *http.Request) {
	data, err := m.master.Call("gc")
	var each []metrics.GCWorker
	if err == nil {
		err = json.Unmarshal(data, &each)
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "gc unavailable: "+err.Error())
		return
	}
	res := metrics.GCResult{Workers: []metrics.GCWorker{}}
	for _, g := range each {
		res.Add(g)
	}
	writeJSON(w, http.StatusOK, res)
}

func (m *metricsAPI) workers(w http.ResponseWriter, r *http.Request) {
	data, err := m.master.Call("status")
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "status unavailable: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}
