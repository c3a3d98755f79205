package events

import (
	"encoding/json"
	"time"
)

// Event is one change the poller saw, in the original's JSON.
type Event struct {
	ID            string         `json:"event_id"` // evt_<unix of the snapshot>_<n>
	Type          string         `json:"event_type"`
	Severity      string         `json:"severity"`
	Timestamp     time.Time      `json:"timestamp"`
	Source        string         `json:"source"` // job or workstation name, or SYSTEM
	Message       string         `json:"message"`
	Details       map[string]any `json:"details"`
	PreviousState *string        `json:"previous_state"`
	CurrentState  *string        `json:"current_state"`
}

// The original's event types.
const (
	JobStarted          = "job_started"
	JobCompleted        = "job_completed"
	JobAbend            = "job_abend"
	JobLate             = "job_late"
	JobStuck            = "job_stuck"
	JobRerun            = "job_rerun"
	WorkstationOnline   = "workstation_online"
	WorkstationOffline  = "workstation_offline"
	WorkstationLinked   = "workstation_linked"
	WorkstationUnlinked = "workstation_unlinked"
	SystemHealthy       = "system_healthy"
	SystemDegraded      = "system_degraded"
	SystemCritical      = "system_critical"
)

// Types lists every event type, in a fixed order (metrics, the dashboard).
var Types = []string{JobStarted, JobCompleted, JobAbend, JobLate, JobStuck, JobRerun,
	WorkstationOnline, WorkstationOffline, WorkstationLinked, WorkstationUnlinked,
	SystemHealthy, SystemDegraded, SystemCritical}

// Severities.
const (
	Info    = "info"
	Warning = "warning"
	Error   = "error"
	// SeverityCritical is the worst; named so beside the Critical health value.
	SeverityCritical = "critical"
)

// severity of each type.
var severity = map[string]string{
	JobStarted: Info, JobCompleted: Info, JobAbend: Error, JobLate: Warning, JobStuck: Warning,
	JobRerun: Info, WorkstationOnline: Info, WorkstationOffline: Error, WorkstationLinked: Info,
	WorkstationUnlinked: Warning, SystemHealthy: Info, SystemDegraded: Warning, SystemCritical: SeverityCritical,
}

// SourceSystem is the source of system_* events.
const SourceSystem = "SYSTEM"

// Group is the WebSocket subscription group an event type belongs to:
// jobs, ws or system (the original's subscribe types; "critical" picks by
// severity, "all" everything).
func Group(eventType string) string {
	switch eventType {
	case WorkstationOnline, WorkstationOffline, WorkstationLinked, WorkstationUnlinked:
		return "ws"
	case SystemHealthy, SystemDegraded, SystemCritical:
		return "system"
	}
	return "jobs"
}

// Encode is the event's JSON, as stored in the stream and sent to clients.
func (e *Event) Encode() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		// Only Details could fail, and Diff fills it with strings and numbers.
		panic("events: encode event: " + err.Error())
	}
	return b
}
