package events

import (
	"fmt"
	"time"
)

// DefaultStuckAfter is the original's: a job running longer is stuck.
const DefaultStuckAfter = 60 * time.Minute

// Diff returns the events that lead from prev to next, in a fixed order:
// workstations by name, jobs by id, then the system's health. With no prev
// (the first poll ever) it reports the health alone: a plan seen for the
// first time has no transitions, and replaying every ABEND of the day would
// bury the operator. Jobs that leave the plan say nothing.
func Diff(prev, next *Snapshot, stuckAfter time.Duration) []Event {
	if stuckAfter <= 0 {
		stuckAfter = DefaultStuckAfter
	}
	d := differ{at: next.Timestamp}
	nextHealth := Summarize(next).SystemHealth
	if prev == nil {
		d.add(healthType(nextHealth), SourceSystem, "System is "+nextHealth, nil, "", nextHealth, healthDetails(next))
		return d.out
	}
	oldWS := make(map[string]*Workstation, len(prev.Workstations))
	for i := range prev.Workstations {
		oldWS[prev.Workstations[i].Name] = &prev.Workstations[i]
	}
	for i := range next.Workstations {
		if o := oldWS[next.Workstations[i].Name]; o != nil {
			d.workstation(o, &next.Workstations[i])
		}
	}
	oldJobs := make(map[string]*Job, len(prev.Jobs))
	for i := range prev.Jobs {
		oldJobs[prev.Jobs[i].ID] = &prev.Jobs[i]
	}
	for i := range next.Jobs {
		d.job(oldJobs[next.Jobs[i].ID], &next.Jobs[i], prev.Timestamp, stuckAfter)
	}
	if was := Summarize(prev).SystemHealth; was != nextHealth {
		d.add(healthType(nextHealth), SourceSystem, fmt.Sprintf("System health went from %s to %s", was, nextHealth),
			nil, was, nextHealth, healthDetails(next))
	}
	return d.out
}

type differ struct {
	at  time.Time
	out []Event
}

// add appends one event; an empty state is JSON null.
func (d *differ) add(typ, source, msg string, details map[string]any, was, now string, extra ...map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	for _, m := range extra {
		for k, v := range m {
			details[k] = v
		}
	}
	d.out = append(d.out, Event{
		ID:   fmt.Sprintf("evt_%d_%d", d.at.Unix(), len(d.out)),
		Type: typ, Severity: severity[typ], Timestamp: d.at, Source: source, Message: msg,
		Details: details, PreviousState: state(was), CurrentState: state(now),
	})
}

func state(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (d *differ) workstation(o, n *Workstation) {
	details := map[string]any{"status": n.Status, "agent_status": n.AgentStatus}
	if o.Status != n.Status {
		typ := WorkstationOffline
		if n.Status == Online {
			typ = WorkstationOnline
		}
		d.add(typ, n.Name, fmt.Sprintf("Workstation %s is %s", n.Name, n.Status), details, o.Status, n.Status)
	}
	if o.AgentStatus != n.AgentStatus {
		typ := WorkstationUnlinked
		if n.AgentStatus == Linked {
			typ = WorkstationLinked
		}
		d.add(typ, n.Name, fmt.Sprintf("Workstation %s agent is %s", n.Name, n.AgentStatus),
			map[string]any{"status": n.Status, "agent_status": n.AgentStatus}, o.AgentStatus, n.AgentStatus)
	}
}

func (d *differ) job(o, n *Job, prevAt time.Time, stuckAfter time.Duration) {
	was, wasClass := "", ClassPending
	if o != nil {
		was, wasClass = o.Status, Class(o.Status)
		if o.RunAttempt > 0 && n.RunAttempt > o.RunAttempt { // a first run is no rerun
			d.add(JobRerun, n.Name, fmt.Sprintf("Job %s rerun (attempt %d)", n.Name, n.RunAttempt),
				jobDetails(n), o.Status, n.Status)
		}
	}
	if class := Class(n.Status); class != wasClass || (o == nil && class != ClassPending) {
		switch class {
		case ClassRunning:
			d.add(JobStarted, n.Name, fmt.Sprintf("Job %s started on %s", n.Name, n.Workstation), jobDetails(n), was, n.Status)
		case ClassCompleted:
			d.add(JobCompleted, n.Name, fmt.Sprintf("Job %s completed", n.Name), jobDetails(n), was, n.Status)
		case ClassFailed:
			msg := fmt.Sprintf("Job %s ended in %s", n.Name, n.Status)
			if n.ReturnCode != nil {
				msg += fmt.Sprintf(" (return code %d)", *n.ReturnCode)
			}
			d.add(JobAbend, n.Name, msg, jobDetails(n), was, n.Status)
		}
	}
	if n.Late && (o == nil || !o.Late) {
		d.add(JobLate, n.Name, fmt.Sprintf("Job %s is late", n.Name), jobDetails(n), was, n.Status)
	}
	if stuck(n, d.at, stuckAfter) && (o == nil || !stuck(o, prevAt, stuckAfter)) {
		running := d.at.Sub(*n.StartTime).Truncate(time.Second)
		d.add(JobStuck, n.Name, fmt.Sprintf("Job %s has been running for %s", n.Name, running),
			jobDetails(n), was, n.Status, map[string]any{"running_seconds": running.Seconds()})
	}
}

// stuck: running, and for longer than stuckAfter at instant at.
func stuck(j *Job, at time.Time, stuckAfter time.Duration) bool {
	return Class(j.Status) == ClassRunning && j.StartTime != nil && at.Sub(*j.StartTime) > stuckAfter
}

func jobDetails(j *Job) map[string]any {
	m := map[string]any{"job_id": j.ID, "job_stream": j.Stream, "workstation": j.Workstation,
		"run_attempt": j.RunAttempt}
	if j.ReturnCode != nil {
		m["return_code"] = *j.ReturnCode
	}
	if j.ErrorMessage != "" {
		m["error_message"] = j.ErrorMessage
	}
	return m
}

func healthType(h string) string {
	switch h {
	case Critical:
		return SystemCritical
	case Degraded:
		return SystemDegraded
	}
	return SystemHealthy
}

func healthDetails(s *Snapshot) map[string]any {
	sum := Summarize(s)
	return map[string]any{"jobs_failed": sum.JobsFailed, "total_jobs": sum.TotalJobs,
		"workstations_unlinked": s.UnlinkedWorkstations()}
}
