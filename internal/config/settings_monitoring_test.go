package config

import (
	"testing"
	"time"
)

func init() {
	areaValueTests = append(areaValueTests, []valueTest{
		{"RESYNC_TWS_POLL_INTERVAL", "30", "30s", ""},
		{"RESYNC_TWS_POLL_INTERVAL", "1s", "5s", ""},   // clamped, as the original did
		{"RESYNC_TWS_POLL_INTERVAL", "1h", "300s", ""}, // clamped
		{"RESYNC_TWS_POLL_INTERVAL", "soon", "", "must be a duration"},
		{"RESYNC_TWS_STUCK_AFTER", "90m", "5400s", ""},
		{"RESYNC_TWS_POLL_LOCK_TTL", "10", "10s", ""},
		{"RESYNC_TWS_POLL_LOCK_TTL", "0", "", "must be > 0"},
		{"RESYNC_EVENTS_RETENTION", "500", "500", ""},
		{"RESYNC_EVENTS_RETENTION", "10", "", "must be"},
	}...)
}

func TestMonitoringDefaults(t *testing.T) {
	want := MonitoringConfig{PollInterval: 30 * time.Second, StuckAfter: time.Hour, LockTTL: 15 * time.Second, Retention: 10000}
	if got := Default().Monitoring; got != want {
		t.Errorf("monitoring defaults %+v, want %+v", got, want)
	}
}
