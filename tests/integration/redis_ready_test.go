package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/redistest"
)

// readyRedis returns /health/ready's status code and its checks.redis.
func (m *master) readyRedis() (int, map[string]any) {
	m.t.Helper()
	resp, body := get(m.t, m.url("/api/v1/health/ready"))
	var doc struct {
		Checks map[string]map[string]any `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		m.t.Fatalf("ready: %v: %s", err, body)
	}
	return resp.StatusCode, doc.Checks["redis"]
}

// TestReadinessFollowsRedis: ok with latency while Redis serves; killed,
// degraded with the guide's ConnectionRefusedError and still 200 (not
// critical by default); back to ok when it returns. With
// RESYNC_REDIS_REQUIRED=true the outage is 503.
func TestReadinessFollowsRedis(t *testing.T) {
	srv := redistest.Start(t)
	for _, required := range []bool{false, true} {
		env := []string{"RESYNC_WORKERS=1", "RESYNC_REDIS_URL=" + srv.URL()}
		if required {
			env = append(env, "RESYNC_REDIS_REQUIRED=true")
		}
		m := startMaster(t, opts{env: env})
		m.waitReady(false)
		code, check := m.readyRedis()
		if code != http.StatusOK || check["status"] != "ok" || check["latency_ms"] == nil {
			t.Fatalf("required=%v, redis up: %d %v", required, code, check)
		}
		srv.Kill()
		waitUntil(t, 10*time.Second, "readiness to see Redis gone", func() bool {
			_, c := m.readyRedis()
			return c["status"] != "ok"
		})
		code, check = m.readyRedis()
		wantCode, wantStatus := http.StatusOK, "degraded"
		if required {
			wantCode, wantStatus = http.StatusServiceUnavailable, "fail"
		}
		msg, _ := check["error"].(string)
		if code != wantCode || check["status"] != wantStatus || !strings.Contains(msg, "ConnectionRefusedError") {
			t.Errorf("required=%v, redis killed: %d %v, want %d %s with ConnectionRefusedError", required, code, check, wantCode, wantStatus)
		}
		srv.Restart()
		waitUntil(t, 10*time.Second, "readiness to see Redis back", func() bool {
			code, c := m.readyRedis()
			return code == http.StatusOK && c["status"] == "ok"
		})
	}
}
