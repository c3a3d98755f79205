package httpapi

import (
	"net/http"
	"sort"
	"time"
)

type health struct {
	started time.Time
	checks  map[string]Check
	probes  map[string]Probe
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// liveBody is a struct, not a map: the liveness probe is the hottest path.
type liveBody struct {
	Status    string `json:"status"`
	Timestamp string `json:"timestamp"`
}

func (h *health) live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, liveBody{Status: "alive", Timestamp: now()})
}

func (h *health) startup(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "started", "timestamp": now(),
		"uptime_seconds": time.Since(h.started).Seconds(),
	})
}

func (h *health) ready(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(h.checks))
	for name := range h.checks {
		names = append(names, name)
	}
	sort.Strings(names)
	checks := map[string]any{}
	ok := true
	for _, name := range names {
		if err := h.checks[name](); err != nil {
			ok = false
			checks[name] = map[string]any{"status": "fail", "error": err.Error()}
		} else {
			checks[name] = map[string]any{"status": "ok"}
		}
	}
	for name, p := range h.probes {
		var fine bool
		if checks[name], fine = p.run(r.Context()); !fine {
			ok = false
		}
	}
	status, code := "ready", http.StatusOK
	if !ok {
		status, code = "not_ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "timestamp": now(), "checks": checks})
}
