package poller

import (
	"context"
	"fmt"
	"time"

	"github.com/resync/resync/internal/events"
	"github.com/resync/resync/internal/hwa"
)

// Warm receives the lists each poll read from the engine: the TWS API's
// cache (tws.Service.Warm), so that its next reads of them are hits.
type Warm func(ctx context.Context, ws []hwa.Workstation, jobs []hwa.Job, streams []hwa.JobStream)

// FromHWA snapshots the plan through the HWA client: every workstation, job
// and job stream of the plan, each list followed through its pages. The
// calls this costs per poll are the pages: ceil(n / page size) per list.
// warm, when set, gets the lists before they become a snapshot.
func FromHWA(c *hwa.Client, warm Warm) Source {
	return func(ctx context.Context) (*events.Snapshot, error) {
		at := time.Now().UTC().Round(0) // no monotonic reading: the snapshot is stored and compared as JSON
		ws, err := c.AllWorkstations(ctx, hwa.NameFilter{})
		if err != nil {
			return nil, fmt.Errorf("list workstations: %w", err)
		}
		jobs, err := c.AllJobs(ctx, hwa.JobFilter{})
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		streams, err := c.AllJobStreams(ctx, hwa.NameFilter{})
		if err != nil {
			return nil, fmt.Errorf("list job streams: %w", err)
		}
		if warm != nil {
			warm(ctx, ws, jobs, streams)
		}
		return Map(at, ws, jobs, streams), nil
	}
}

// Map turns HWA's objects into a snapshot at instant at.
func Map(at time.Time, ws []hwa.Workstation, jobs []hwa.Job, streams []hwa.JobStream) *events.Snapshot {
	s := &events.Snapshot{Timestamp: at, Workstations: make([]events.Workstation, 0, len(ws)),
		Jobs: make([]events.Job, 0, len(jobs)), JobStreams: make([]events.JobStream, 0, len(streams))}
	type counts struct{ running, pending int }
	perWS := map[string]*counts{}
	for i := range jobs {
		j := mapJob(&jobs[i])
		c := perWS[j.Workstation]
		if c == nil {
			c = &counts{}
			perWS[j.Workstation] = c
		}
		switch events.Class(j.Status) {
		case events.ClassRunning:
			c.running++
		case events.ClassPending:
			c.pending++
		}
		s.Jobs = append(s.Jobs, j)
	}
	for i := range ws {
		w := &ws[i]
		out := events.Workstation{Name: w.Name, Status: events.Offline, AgentStatus: events.Unlinked}
		if hasState(w, "RUNNING", "JOBMAN_UP") {
			out.Status = events.Online
		}
		if w.Online() {
			out.AgentStatus = events.Linked
			out.LastSeen = &at
		}
		if c := perWS[w.Name]; c != nil {
			out.JobsRunning, out.JobsPending = c.running, c.pending
		}
		s.Workstations = append(s.Workstations, out)
	}
	for _, js := range streams {
		name := js.Name
		if name == "" {
			name = js.OriginalJobStreamName
		}
		s.JobStreams = append(s.JobStreams, events.JobStream{ID: js.ID, Name: name, Workstation: js.Workstation,
			Status: js.CompositeStatus.Status})
	}
	return s
}

func hasState(w *hwa.Workstation, states ...string) bool {
	for _, s := range w.ActiveStates {
		for _, want := range states {
			if s == want {
				return true
			}
		}
	}
	return false
}

func mapJob(j *hwa.Job) events.Job {
	out := events.Job{ID: j.ID, Name: j.Name, Stream: j.JobStreamName, Workstation: j.Workstation,
		Status: j.Status(), Late: j.JobStatusFlags.JobLate || j.JobStatusFlags.DeadlineHasPassed}
	if r := j.LastRun(); r != nil {
		out.ReturnCode = r.ReturnCode
		out.RunAttempt = r.RunAttempt
		out.StartTime = parseTime(r.TimeInfo.ActualStartTime)
		out.EndTime = parseTime(r.TimeInfo.ActualEndTime)
		if out.StartTime != nil && out.EndTime != nil {
			d := out.EndTime.Sub(*out.StartTime).Seconds()
			out.Duration = &d
		}
		if events.Class(out.Status) == events.ClassFailed && r.ReturnCode != nil {
			out.ErrorMessage = fmt.Sprintf("%s with return code %d", out.Status, *r.ReturnCode)
		}
	}
	return out
}

func parseTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}
