package hwasim

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/resync/resync/internal/hwa"
)

var (
	jobType    = reflect.TypeFor[hwa.Job]()
	wsType     = reflect.TypeFor[hwa.Workstation]()
	streamType = reflect.TypeFor[hwa.JobStream]()
	resType    = reflect.TypeFor[hwa.Resource]()
)

func (s *Server) engineInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, hwa.EngineInfo{
		DisplayVersion: "10.2.3 (simulated)", FullVersion: "10.2.3.00.20260101-sim",
		Capabilities: map[string]any{"simulated": true}, ReferenceID: "resync-hwa-sim",
		LicenseType: "PERJOB", Locale: "en", Timezone: "UTC",
	})
}

// flow answers a job's predecessors (or successors) to ?depth= levels (1 by default).
func (s *Server) flow(succ bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		depth := 1
		if v := r.URL.Query().Get("depth"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				badParam(w, "depth")
				return
			}
			depth = n
		}
		s.mu.RLock()
		defer s.mu.RUnlock()
		id := r.PathValue("id")
		i, ok := s.plan.jobIndex[id]
		if !ok {
			notFound(w, "job", id)
			return
		}
		seen := map[int]bool{i: true}
		level, out := []int{i}, []hwa.FlowNode{}
		for d := 0; d < depth && len(level) > 0; d++ {
			var next []int
			for _, k := range level {
				edges := s.plan.jobs[k].preds
				if succ {
					edges = s.plan.jobs[k].succs
				}
				for _, e := range edges {
					if !seen[e] {
						seen[e] = true
						next = append(next, e)
						out = append(out, s.plan.jobs[e].Job.FlowNode())
					}
				}
			}
			level = next
		}
		writeJSON(w, hwa.List[hwa.FlowNode]{Count: len(out), Results: out})
	}
}

// jobLog answers plan/job/joblog?oql=id = '…': the log of that job's last run.
func (s *Server) jobLog(w http.ResponseWriter, r *http.Request) {
	q, err := parseOQL(r.URL.Query().Get("oql"), jobType)
	if err != nil || len(q.conds) == 0 {
		if err == nil {
			err = fmt.Errorf("a filter naming the job is required")
		}
		oqlError(w, err)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.plan.jobs {
		j := &s.plan.jobs[i].Job
		if q.match(reflect.ValueOf(j)) {
			if run := j.LastRun(); run != nil {
				writeLog(w, r, j, run)
				return
			}
		}
	}
	http.Error(w, "no job run instances match the provided key", http.StatusNotFound)
}

func (s *Server) runLog(w http.ResponseWriter, r *http.Request) {
	runID := r.PathValue("run_id")
	jobID, _, ok := strings.Cut(runID, "-r")
	s.mu.RLock()
	defer s.mu.RUnlock()
	if i, found := s.plan.jobIndex[jobID]; ok && found {
		j := &s.plan.jobs[i].Job
		for k := range j.JobRuns {
			if j.JobRuns[k].ID == runID {
				writeLog(w, r, j, &j.JobRuns[k])
				return
			}
		}
	}
	notFound(w, "job run", runID)
}

// writeLog answers a run's log as text, lines from_line..to_line (1-based).
func writeLog(w http.ResponseWriter, r *http.Request, j *hwa.Job, run *hwa.JobRun) {
	lines := logLines(j, run)
	from, to := 1, len(lines)
	for name, p := range map[string]*int{"from_line": &from, "to_line": &to} {
		if v := r.URL.Query().Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				badParam(w, name)
				return
			}
			*p = n
		}
	}
	from, to = min(from, len(lines)+1), min(to, len(lines))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if from <= to {
		_, _ = w.Write([]byte(strings.Join(lines[from-1:to], "\n") + "\n"))
	}
}

// logLines makes a run's log: the same run always has the same log.
func logLines(j *hwa.Job, run *hwa.JobRun) []string {
	h := fnv.New64a()
	h.Write([]byte(run.ID))
	n := 10 + int(h.Sum64()%90)
	lines := []string{
		"===============================================================",
		"= JOB       : " + j.Workstation + "#" + j.JobStreamName + "." + j.Name,
		"= USER      : twsuser",
		"= JCLFILE   : " + j.JobDefinition.Task,
		fmt.Sprintf("= Job Number: %d", run.JobNumber),
		"= " + run.TimeInfo.ActualStartTime,
		"===============================================================",
	}
	for k := 1; k <= n; k++ {
		lines = append(lines, fmt.Sprintf("%s step %d: processed %d records", j.Name, k, (h.Sum64()>>uint(k%32))%100000))
	}
	lines = append(lines, "===============================================================")
	switch {
	case run.ReturnCode != nil:
		lines = append(lines, fmt.Sprintf("= Exit Status           : %d", *run.ReturnCode))
		if *run.ReturnCode != 0 {
			lines = append(lines, fmt.Sprintf("AWSBIS101E %s failed with return code %d", j.Name, *run.ReturnCode))
		}
	case run.CompositeStatus.Status == "EXEC":
		lines = append(lines, "= (running)")
	}
	lines = append(lines, "= "+run.TimeInfo.ActualEndTime, "===============================================================")
	return lines
}

// collection is one kind of plan object: how many there are, the i-th (a
// pointer to its hwa type) and the index of ids (and names) to positions.
type collection struct {
	what  string
	typ   reflect.Type
	n     func(p *plan) int
	at    func(p *plan, i int) any
	index func(p *plan) map[string]int
}

var (
	workstations = collection{"workstation", wsType,
		func(p *plan) int { return len(p.workstations) },
		func(p *plan, i int) any { return &p.workstations[i] },
		func(p *plan) map[string]int { return p.wsIndex }}
	jobs = collection{"job", jobType,
		func(p *plan) int { return len(p.jobs) },
		func(p *plan, i int) any { return &p.jobs[i].Job },
		func(p *plan) map[string]int { return p.jobIndex }}
	streams = collection{"job stream", streamType,
		func(p *plan) int { return len(p.streams) },
		func(p *plan, i int) any { return &p.streams[i].JobStream },
		func(p *plan) map[string]int { return p.streamIndex }}
	resources = collection{"resource", resType,
		func(p *plan) int { return len(p.resources) },
		func(p *plan, i int) any { return &p.resources[i] },
		func(p *plan) map[string]int { return p.resIndex }}
)

// listOf answers a page of c after the request's OQL.
func (s *Server) listOf(c collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		items := make([]reflect.Value, c.n(s.plan))
		for i := range items {
			items[i] = reflect.ValueOf(c.at(s.plan, i))
		}
		list(w, r, c.typ, items)
	}
}

// oneOf answers the object of c with the path's id, or 404.
func (s *Server) oneOf(c collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		id := r.PathValue("id")
		i, ok := c.index(s.plan)[id]
		if !ok {
			notFound(w, c.what, id)
			return
		}
		writeJSON(w, c.at(s.plan, i))
	}
}
