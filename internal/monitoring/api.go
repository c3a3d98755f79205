package monitoring

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/resync/resync/internal/events"
	"github.com/resync/resync/internal/feed"
)

// snapshotJSON is the original's snapshot object.
type snapshotJSON struct {
	Timestamp    time.Time            `json:"timestamp"`
	Seq          uint64               `json:"seq"`
	Workstations []events.Workstation `json:"workstations"`
	Jobs         []events.Job         `json:"jobs"`
	Summary      events.Summary       `json:"summary"`
}

func (s *Service) snapshotView(ctx context.Context) any {
	snap, sum, _, err := s.state.snapshot(ctx)
	if err != nil || snap == nil {
		return nil
	}
	return snapshotJSON{snap.Timestamp, snap.Seq, snap.Workstations, snap.Jobs, sum}
}

// running: someone committed a poll within three intervals. LastPoll is
// the snapshot's time, taken when the poll began; the commit came the poll's
// duration later, so a slow upstream (a 4 s poll at a 1 s interval) does not
// read as "stopped" right after a good poll.
func (s *Service) running(m meta) bool {
	committed := m.LastPoll.Add(time.Duration(m.LastDurationMS) * time.Millisecond)
	return !m.LastPoll.IsZero() && time.Since(committed) < 3*s.interval()
}

func (s *Service) status(w http.ResponseWriter, r *http.Request) {
	snap, sum, m, err := s.state.snapshot(r.Context())
	if err != nil {
		s.unavailable(w, err)
		return
	}
	running := s.running(m)
	metrics := map[string]any{"is_running": running, "polling_interval": int(s.interval() / time.Second),
		"polls_count": m.Polls, "errors_count": m.Errors, "events_generated": m.Events,
		"uptime_seconds": int64(time.Since(s.started).Seconds()), "cached_jobs": 0, "cached_workstations": 0}
	var view any
	if snap != nil {
		metrics["cached_jobs"], metrics["cached_workstations"] = len(snap.Jobs), len(snap.Workstations)
		view = snapshotJSON{snap.Timestamp, snap.Seq, snap.Workstations, snap.Jobs, sum}
		if r.URL.Query().Get("brief") == "1" { // the dashboard's: no lists, the summary alone
			view = snapshotJSON{Timestamp: snap.Timestamp, Seq: snap.Seq, Summary: sum}
		}
	}
	st := "stopped"
	if running {
		st = "running"
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "status": st, "metrics": metrics, "snapshot": view,
		"poller": s.pollerView(m), "feed": s.hub.Stats()})
}

// pollerView is what resync adds to the original's status: who polls, how
// fresh the data is, and whether the engine is the simulator.
func (s *Service) pollerView(m meta) map[string]any {
	v := map[string]any{"holder": m.Holder, "token": m.Token, "last_poll_duration_ms": m.LastDurationMS,
		"last_error": m.LastError, "upstream": s.upstream(), "simulated": s.o.Simulated,
		"last_poll_at": nil, "data_age_seconds": nil}
	if !m.LastPoll.IsZero() {
		v["last_poll_at"] = m.LastPoll
		v["data_age_seconds"] = time.Since(m.LastPoll).Seconds()
	}
	return v
}

func (s *Service) workstations(w http.ResponseWriter, r *http.Request) {
	snap, _, _, err := s.state.snapshot(r.Context())
	if err != nil {
		s.unavailable(w, err)
		return
	}
	list := []events.Workstation{}
	online := 0
	if snap != nil {
		list = snap.Workstations
		for _, ws := range list {
			if ws.AgentStatus == events.Linked {
				online++
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "workstations": list,
		"summary": map[string]int{"total": len(list), "online": online, "offline": len(list) - online}})
}

func (s *Service) jobs(w http.ResponseWriter, r *http.Request) {
	limit, ok := intParam(w, r, "limit", 100, 1, 500)
	if !ok {
		return
	}
	status := strings.ToUpper(r.URL.Query().Get("status"))
	snap, sum, _, err := s.state.snapshot(r.Context())
	if err != nil {
		s.unavailable(w, err)
		return
	}
	list := []events.Job{}
	if snap != nil {
		for _, j := range snap.Jobs {
			if len(list) == limit {
				break
			}
			if status == "" || j.Status == status {
				list = append(list, j)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "jobs": list,
		"summary": map[string]int{"total": sum.TotalJobs, "running": sum.JobsRunning, "completed": sum.JobsCompleted,
			"failed": sum.JobsFailed, "pending": sum.JobsPending}})
}

func (s *Service) events(w http.ResponseWriter, r *http.Request) {
	hours, ok := intParam(w, r, "hours", 24, 1, 168)
	if !ok {
		return
	}
	limit, ok := intParam(w, r, "limit", 100, 1, 500)
	if !ok {
		return
	}
	q := r.URL.Query()
	severity, typ := q.Get("severity"), q.Get("event_type")
	end := time.Now().UTC()
	start := end.Add(-time.Duration(hours) * time.Hour)
	out := []json.RawMessage{}
	err := s.stream.Newest(r.Context(), start, 500, func(e feed.Entry) bool {
		if (severity == "" || e.Severity == severity) && (typ == "" || e.Type == typ) {
			out = append(out, e.Data)
		}
		return len(out) < limit
	})
	if err != nil {
		s.unavailable(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "events": out, "total": len(out),
		"period": map[string]time.Time{"start": start, "end": end}})
}

// intParam reads an integer query parameter within [lo, hi]; out of range
// is 422, as FastAPI's Query(ge=, le=) answered in the original.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{
			"detail": name + " must be a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)})
		return 0, false
	}
	return n, true
}

func (s *Service) unavailable(w http.ResponseWriter, err error) {
	s.o.Log.Warn("monitoring: redis", "error", err)
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"detail": "monitoring store unavailable: redis"})
}

// writeJSON answers v as JSON with a Content-Length.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"detail":"cannot encode the answer"}`)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
