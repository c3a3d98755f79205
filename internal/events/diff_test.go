package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func ws(name, status, agent string) Workstation {
	return Workstation{Name: name, Status: status, AgentStatus: agent}
}

func job(id, status string) Job {
	return Job{ID: id, Name: "J" + id, Workstation: "WS1", Status: status}
}

func snap(at time.Time, w []Workstation, j ...Job) *Snapshot {
	return &Snapshot{Timestamp: at, Workstations: w, Jobs: j}
}

var linkedWS = []Workstation{ws("WS1", Online, Linked), ws("WS2", Online, Linked)}

func types(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestDiff(t *testing.T) {
	t1 := t0.Add(30 * time.Second)
	started := t0.Add(-59*time.Minute - 50*time.Second)
	withRerun := job("1", "EXEC")
	withRerun.RunAttempt = 2
	ranOnce := job("1", "ABEND")
	ranOnce.RunAttempt = 1
	firstRun := job("1", "EXEC")
	firstRun.RunAttempt = 1
	late := job("1", "READY")
	late.Late = true
	runningLong := job("1", "EXEC")
	runningLong.StartTime = &started
	abend := job("1", "ABEND")
	abend.ReturnCode = ptr(12)
	cases := []struct {
		name       string
		prev, next *Snapshot
		want       []string
	}{
		{"first poll: health alone", nil, snap(t0, linkedWS, job("1", "ABEND")), []string{SystemHealthy}},
		{"nothing changed", snap(t0, linkedWS, job("1", "EXEC")), snap(t1, linkedWS, job("1", "EXEC")), []string{}},
		{"started", snap(t0, linkedWS, job("1", "READY")), snap(t1, linkedWS, job("1", "EXEC")), []string{JobStarted}},
		{"completed", snap(t0, linkedWS, job("1", "EXEC")), snap(t1, linkedWS, job("1", "SUCC")), []string{JobCompleted}},
		{"abend", snap(t0, linkedWS, job("1", "EXEC")), snap(t1, linkedWS, abend), []string{JobAbend}},
		{"new job already running", snap(t0, linkedWS), snap(t1, linkedWS, job("1", "EXEC")), []string{JobStarted}},
		{"new job pending: quiet", snap(t0, linkedWS), snap(t1, linkedWS, job("1", "HOLD")), []string{}},
		{"pending to pending: quiet", snap(t0, linkedWS, job("1", "HOLD")), snap(t1, linkedWS, job("1", "READY")), []string{}},
		{"rerun after abend", snap(t0, linkedWS, ranOnce), snap(t1, linkedWS, withRerun), []string{JobRerun, JobStarted}},
		{"first run is no rerun", snap(t0, linkedWS, job("1", "READY")), snap(t1, linkedWS, firstRun), []string{JobStarted}},
		{"late", snap(t0, linkedWS, job("1", "READY")), snap(t1, linkedWS, late), []string{JobLate}},
		{"late stays late: once", snap(t0, linkedWS, late), snap(t1, linkedWS, late), []string{}},
		{"stuck once past the hour", snap(t0, linkedWS, runningLong), snap(t1, linkedWS, runningLong), []string{JobStuck}},
		{"stuck stays stuck: once", snap(t1, linkedWS, runningLong), snap(t1.Add(30*time.Second), linkedWS, runningLong), []string{}},
		{"job leaves the plan: quiet", snap(t0, linkedWS, job("1", "EXEC")), snap(t1, linkedWS), []string{}},
		{"unlinked: degraded", snap(t0, linkedWS), snap(t1, []Workstation{ws("WS1", Online, Unlinked), ws("WS2", Online, Linked)}),
			[]string{WorkstationUnlinked, SystemDegraded}},
		{"offline and unlinked, two: critical", snap(t0, linkedWS),
			snap(t1, []Workstation{ws("WS1", Offline, Unlinked), ws("WS2", Online, Unlinked)}),
			[]string{WorkstationOffline, WorkstationUnlinked, WorkstationUnlinked, SystemCritical}},
		{"back: healthy", snap(t0, []Workstation{ws("WS1", Offline, Unlinked), ws("WS2", Online, Linked)}), snap(t1, linkedWS),
			[]string{WorkstationOnline, WorkstationLinked, SystemHealthy}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Diff(c.prev, c.next, time.Hour)
			if !reflect.DeepEqual(types(got), c.want) {
				t.Fatalf("events %v, want %v", types(got), c.want)
			}
			for i, e := range got {
				if e.Severity == "" || e.Source == "" || e.Message == "" || e.Details == nil {
					t.Errorf("event %d incomplete: %+v", i, e)
				}
				if !e.Timestamp.Equal(c.next.Timestamp) {
					t.Errorf("event %d at %s, want the snapshot's time", i, e.Timestamp)
				}
			}
			// Deterministic: a poller taking over recomputes the same events.
			if again := Diff(c.prev, c.next, time.Hour); !reflect.DeepEqual(again, got) {
				t.Fatal("Diff is not deterministic")
			}
		})
	}
}

func TestEventJSON(t *testing.T) {
	abend := job("42", "ABEND")
	abend.ReturnCode = ptr(8)
	evs := Diff(snap(t0, linkedWS, job("42", "EXEC")), snap(t0.Add(time.Minute), linkedWS, abend), 0)
	if len(evs) != 1 {
		t.Fatalf("events %v", types(evs))
	}
	var m map[string]any
	if err := json.Unmarshal(evs[0].Encode(), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"event_id": "evt_1796202060_0", "event_type": "job_abend", "severity": "error",
		"timestamp": "2026-12-02T09:01:00Z", "source": "J42", "message": "Job J42 ended in ABEND (return code 8)",
		"previous_state": "EXEC", "current_state": "ABEND",
		"details": map[string]any{"job_id": "42", "job_stream": "", "workstation": "WS1", "run_attempt": 0.0, "return_code": 8.0},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("JSON\n%v\nwant\n%v", m, want)
	}
	first := Diff(nil, snap(t0, linkedWS), 0)[0]
	if b := string(first.Encode()); !strings.Contains(b, `"previous_state":null`) {
		t.Fatalf("first health event: %s", b)
	}
}

func TestHealth(t *testing.T) {
	cases := []struct {
		failed, jobs, unlinked int
		want                   string
	}{
		{0, 0, 0, Healthy},
		{4, 10, 0, Healthy},
		{5, 10, 0, Degraded}, // max(5, 0.5) = 5
		{5, 101, 0, Healthy}, // 5 % of 101 is 5.05
		{6, 101, 0, Degraded},
		{9, 50, 0, Degraded},
		{10, 50, 0, Critical},  // max(10, 5) = 10
		{10, 101, 0, Degraded}, // 10 % of 101 is 10.1
		{11, 101, 0, Critical},
		{0, 100, 1, Degraded},
		{0, 100, 2, Critical},
	}
	for _, c := range cases {
		if got := Health(c.failed, c.jobs, c.unlinked); got != c.want {
			t.Errorf("Health(%d failed of %d, %d unlinked) = %s, want %s", c.failed, c.jobs, c.unlinked, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := snap(t0, linkedWS, job("1", "EXEC"), job("2", "SUCC"), job("3", "ABEND"), job("4", "HOLD"), job("5", "READY"))
	got := Summarize(s)
	want := Summary{TotalJobs: 5, JobsRunning: 1, JobsCompleted: 1, JobsFailed: 1, JobsPending: 2, SystemHealth: Healthy}
	if got != want {
		t.Fatalf("summary %+v", got)
	}
}

func TestGroup(t *testing.T) {
	if Group(JobAbend) != "jobs" || Group(WorkstationOffline) != "ws" || Group(SystemCritical) != "system" {
		t.Fatal("groups")
	}
	for _, typ := range Types {
		if severity[typ] == "" {
			t.Errorf("%s has no severity", typ)
		}
	}
}
