package hwasim

import (
	"reflect"
	"testing"

	"github.com/resync/resync/internal/hwa"
)

func TestOQLSubset(t *testing.T) {
	j := &hwa.Job{Name: "PAYROLL_01", Folder: "/FIN/", Workstation: "CPU1",
		LastRunCompositeStatus: hwa.CompositeStatus{Status: "ABEND"},
		JobRuns:                []hwa.JobRun{{CompositeStatus: hwa.CompositeStatus{Status: "SUCC"}}, {CompositeStatus: hwa.CompositeStatus{Status: "ABEND"}}},
		Dependencies:           []hwa.Dependency{{JobStreamID: "S1"}}}
	v := reflect.ValueOf(j)
	for q, want := range map[string]bool{
		"":                    true,
		"name = 'PAYROLL_01'": true,
		"name = 'payroll_01'": false,
		"folder LIKE '/FIN@'": true,
		"name LIKE '@roll@'":  true,
		"name LIKE 'PAY'":     false,
		"name = 'PAYROLL_01' AND workstation = 'CPU2'":                         false,
		"jobruns.compositeStatus.status = 'SUCC'":                              true,
		"dependencies.jobStreamId = 'S1'":                                      true,
		"lastRunCompositeStatus.status = 'ABEND' ORDER BY name DESC, priority": true,
		"name = 'it''s'": false,
	} {
		p, err := parseOQL(q, jobType)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if got := p.match(v); got != want {
			t.Errorf("%q matched %v, want %v", q, got, want)
		}
	}
	for _, bad := range []string{
		"key.name = 'X'", "name = 'X' OR name = 'Y'", "name != 'X'", "(name = 'X')", "name = X",
		"nosuch = 'X'", "jobruns = 'X'", "name = 'unterminated", "ORDER name", "name = 'X' ORDER BY",
	} {
		if _, err := parseOQL(bad, jobType); err == nil {
			t.Errorf("%q parsed; want a syntax error", bad)
		}
	}
}

func TestPlanIsRepeatableAndMoves(t *testing.T) {
	a, b := New(Options{Seed: 42, Jobs: 500}), New(Options{Seed: 42, Jobs: 500})
	if !reflect.DeepEqual(a.IDs(), b.IDs()) {
		t.Fatal("one seed gave two plans")
	}
	statuses := map[string]int{}
	a.Tick(200)
	a.mu.RLock()
	for i := range a.plan.jobs {
		statuses[a.plan.jobs[i].Status()]++
	}
	a.mu.RUnlock()
	for _, s := range []string{"SUCC", "ABEND"} {
		if statuses[s] == 0 {
			t.Errorf("no %s job after 230 ticks: %v", s, statuses)
		}
	}
}
