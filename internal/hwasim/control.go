package hwasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// SetKnobs replaces the fault knobs.
func (s *Server) SetKnobs(k Knobs) {
	s.kmu.Lock()
	s.knobs = k
	s.kmu.Unlock()
}

// Knobs returns the fault knobs in force.
func (s *Server) Knobs() Knobs {
	s.kmu.Lock()
	defer s.kmu.Unlock()
	return s.knobs
}

// Counts returns the API requests served per path (/twsd/api/v2/…).
func (s *Server) Counts() map[string]int64 {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	out := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Count returns the requests served for one path.
func (s *Server) Count(path string) int64 {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[path]
}

// ResetCounts zeroes the counters.
func (s *Server) ResetCounts() {
	s.cmu.Lock()
	s.counts = map[string]int64{}
	s.cmu.Unlock()
}

// Tick advances the plan n ticks.
func (s *Server) Tick(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.plan.step()
	}
}

// Abend makes the job with this id ABEND now, with return code rc.
func (s *Server) Abend(jobID string, rc int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.plan.jobIndex[jobID]
	if !ok {
		return fmt.Errorf("abend job: no job %q", jobID)
	}
	s.plan.abend(i, rc)
	return nil
}

// Unlink unlinks the workstation with this name (or id).
func (s *Server) Unlink(ws string) error { return s.setLink(ws, false) }

// Link links it again.
func (s *Server) Link(ws string) error { return s.setLink(ws, true) }

func (s *Server) setLink(ws string, linked bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.plan.wsIndex[ws]
	if !ok {
		return fmt.Errorf("link workstation: no workstation %q", ws)
	}
	setLinked(&s.plan.workstations[i], linked)
	return nil
}

// PlanIDs are the ids tests pick from.
type PlanIDs struct {
	Jobs         []string `json:"jobs"`
	Workstations []string `json:"workstations"` // names
	JobStreams   []string `json:"jobstreams"`
	Resources    []string `json:"resources"`
}

// IDs lists the plan's ids.
func (s *Server) IDs() PlanIDs {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids PlanIDs
	for i := range s.plan.jobs {
		ids.Jobs = append(ids.Jobs, s.plan.jobs[i].ID)
	}
	for i := range s.plan.workstations {
		ids.Workstations = append(ids.Workstations, s.plan.workstations[i].Name)
	}
	for i := range s.plan.streams {
		ids.JobStreams = append(ids.JobStreams, s.plan.streams[i].ID)
	}
	for i := range s.plan.resources {
		ids.Resources = append(ids.Resources, s.plan.resources[i].ID)
	}
	return ids
}

func (s *Server) controlRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /_sim/counts", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.Counts()) })
	m.HandleFunc("DELETE /_sim/counts", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /_sim/knobs", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.Knobs()) })
	m.HandleFunc("PUT /_sim/knobs", func(w http.ResponseWriter, r *http.Request) {
		var k Knobs
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&k); err != nil {
			http.Error(w, "decode knobs: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.SetKnobs(k)
		writeJSON(w, k)
	})
	m.HandleFunc("POST /_sim/tick", func(w http.ResponseWriter, r *http.Request) {
		n := 1
		if v := r.URL.Query().Get("n"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 100000 {
				badParam(w, "n")
				return
			}
		}
		s.Tick(n)
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("POST /_sim/jobs/{id}/abend", func(w http.ResponseWriter, r *http.Request) {
		rc := 12
		if v := r.URL.Query().Get("rc"); v != "" {
			var err error
			if rc, err = strconv.Atoi(v); err != nil {
				badParam(w, "rc")
				return
			}
		}
		if err := s.Abend(r.PathValue("id"), rc); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	link := func(linked bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := s.setLink(r.PathValue("name"), linked); err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}
	m.HandleFunc("POST /_sim/workstations/{name}/unlink", link(false))
	m.HandleFunc("POST /_sim/workstations/{name}/link", link(true))
	m.HandleFunc("GET /_sim/plan", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.IDs()) })
}
