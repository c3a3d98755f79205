package events

import (
	"slices"
	"time"
)

// Snapshot is the plan at one instant, as the poller saw it.
type Snapshot struct {
	Seq          uint64        `json:"seq"` // 1 for the first poll ever stored, +1 each poll
	Timestamp    time.Time     `json:"timestamp"`
	Workstations []Workstation `json:"workstations"`
	Jobs         []Job         `json:"jobs"`
	JobStreams   []JobStream   `json:"job_streams"`
}

// Workstation is one workstation in the plan. Status is ONLINE or OFFLINE;
// AgentStatus LINKED or UNLINKED (HWA's activeStates: any *LINKED state).
type Workstation struct {
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	AgentStatus string     `json:"agent_status"`
	JobsRunning int        `json:"jobs_running"`
	JobsPending int        `json:"jobs_pending"`
	LastSeen    *time.Time `json:"last_seen"` // the last poll that saw it linked
}

// Workstation states.
const (
	Online   = "ONLINE"
	Offline  = "OFFLINE"
	Linked   = "LINKED"
	Unlinked = "UNLINKED"
)

// Job is one job in the plan, with HWA's job status (EXEC, ABEND, SUCC, …).
type Job struct {
	ID           string     `json:"job_id"`
	Name         string     `json:"job_name"`
	Stream       string     `json:"job_stream"`
	Workstation  string     `json:"workstation"`
	Status       string     `json:"status"`
	ReturnCode   *int       `json:"return_code"`
	StartTime    *time.Time `json:"start_time"`
	EndTime      *time.Time `json:"end_time"`
	Duration     *float64   `json:"duration_seconds"`
	ErrorMessage string     `json:"error_message"`
	Late         bool       `json:"late"`        // jobStatusFlags.jobLate or deadlineHasPassed
	RunAttempt   int        `json:"run_attempt"` // the last run's runAttempt: a rerun raises it
}

// JobStream is one job stream in the plan, with HWA's composite status.
type JobStream struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Workstation string `json:"workstation"`
	Status      string `json:"status"`
}

// Job classes, the original's summary buckets.
const (
	ClassRunning   = "running"
	ClassCompleted = "completed"
	ClassFailed    = "failed"
	ClassPending   = "pending"
)

// Class buckets an HWA job (or job stream) status. Cancelled and suppressed
// jobs are neither failures nor successes: they count as pending, as the
// original counted everything it did not name.
func Class(status string) string {
	switch status {
	case "EXEC", "STARTED":
		return ClassRunning
	case "SUCC", "SUCCP", "COMPLT", "COMPLETE", "END":
		return ClassCompleted
	case "ABEND", "ABENP", "FAIL", "ERROR":
		return ClassFailed
	}
	return ClassPending
}

// Summary is the original's snapshot summary.
type Summary struct {
	TotalJobs     int    `json:"total_jobs_today"`
	JobsRunning   int    `json:"jobs_running"`
	JobsCompleted int    `json:"jobs_completed"`
	JobsFailed    int    `json:"jobs_failed"`
	JobsPending   int    `json:"jobs_pending"`
	SystemHealth  string `json:"system_health"`
}

// Summarize counts s's jobs per class and applies the health rule.
func Summarize(s *Snapshot) Summary {
	sum := Summary{TotalJobs: len(s.Jobs)}
	for _, j := range s.Jobs {
		switch Class(j.Status) {
		case ClassRunning:
			sum.JobsRunning++
		case ClassCompleted:
			sum.JobsCompleted++
		case ClassFailed:
			sum.JobsFailed++
		default:
			sum.JobsPending++
		}
	}
	sum.SystemHealth = Health(sum.JobsFailed, len(s.Jobs), s.UnlinkedWorkstations())
	return sum
}

// UnlinkedWorkstations counts the workstations whose agent is not linked.
func (s *Snapshot) UnlinkedWorkstations() int {
	n := 0
	for _, w := range s.Workstations {
		if w.AgentStatus != Linked {
			n++
		}
	}
	return n
}

// Normalize sorts the snapshot's lists by key, so that diffs and stored
// snapshots do not depend on the order HWA answered in.
func (s *Snapshot) Normalize() {
	slices.SortFunc(s.Workstations, func(a, b Workstation) int { return compare(a.Name, b.Name) })
	slices.SortFunc(s.Jobs, func(a, b Job) int { return compare(a.ID, b.ID) })
	slices.SortFunc(s.JobStreams, func(a, b JobStream) int { return compare(a.ID, b.ID) })
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
