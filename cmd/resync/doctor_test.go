package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/embedredis"
)

func runDoctorTest(t *testing.T, environ []string, args ...string) (int, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := runDoctorWith(args, environ, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return code, out.String()
}

func healthServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDoctorWithoutMaster(t *testing.T) {
	env := writeEnvFile(t, "RESYNC_MODE=production\nRESYNC_WORKERS=2\n")
	code, out := runDoctorTest(t, []string{"RESYNC_ENV_FILE=" + env, "RESYNC_RUNTIME_DIR=" + t.TempDir()},
		"--url", healthServer(t).URL)
	if code != exitFail {
		t.Errorf("exit %d, want %d", code, exitFail)
	}
	for _, want := range []string{
		"configuration from " + env,
		"✓ mode: RESYNC_MODE=production\n",
		"✓ workers: 2 workers for",
		"✗ redis: RESYNC_REDIS_URL is empty, and RESYNC_MODE=production needs a Redis",
		"✗ memory limit: no running master to inspect — fix: ",
		"✓ health /api/v1/health/live: ",
		"load profile: unknown (no running master",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDoctorInvalidConfiguration(t *testing.T) {
	env := writeEnvFile(t, "RESYNC_MODE=prod\n")
	code, out := runDoctorTest(t, []string{"RESYNC_ENV_FILE=" + env})
	if code != exitFail || !strings.Contains(out, "✗ configuration: "+env+":1: RESYNC_MODE") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestDoctorAsksTheMaster answers on a real control socket as a master would,
// with this process's pid, so the cgroup lookup runs on a real /proc.
func TestDoctorAsksTheMaster(t *testing.T) {
	dir := t.TempDir()
	l, err := control.Listen(control.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	calls := make(chan control.Call)
	go control.Serve(l, calls)
	t.Cleanup(func() { l.Close() })
	go func() {
		for c := range calls {
			c.Reply <- control.Response{OK: true, Status: &control.Snapshot{
				PID: os.Getpid(), Started: time.Now().Add(-48 * time.Hour), Requests: 1000, Target: 2}}
		}
	}()
	env := writeEnvFile(t, "RESYNC_MODE=production\n")
	_, out := runDoctorTest(t, []string{"RESYNC_ENV_FILE=" + env, "RESYNC_RUNTIME_DIR=" + dir},
		"--url", healthServer(t).URL)
	if !strings.Contains(out, "load profile: low (< 1000 req/day): 500 requests/day") {
		t.Errorf("no low profile for 1000 requests in 48h:\n%s", out)
	}
	if strings.Contains(out, "no running master") || strings.Contains(out, "cannot read") {
		t.Errorf("the master was not found or its cgroup not read:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, control.SocketName)); err != nil {
		t.Fatal(err)
	}
}

// The Redis line PINGs the embedded store where a master serves it.
func TestDoctorPingsEmbeddedRedis(t *testing.T) {
	dir := t.TempDir()
	env := writeEnvFile(t, "RESYNC_MODE=development\n")
	environ := []string{"RESYNC_ENV_FILE=" + env, "RESYNC_RUNTIME_DIR=" + dir}
	if _, out := runDoctorTest(t, environ, "--url", healthServer(t).URL); !strings.Contains(out, "✗ redis: embedded (single host) at unix://") {
		t.Errorf("no master, no store: want the Redis line to fail:\n%s", out)
	}
	s, err := embedredis.Start(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, out := runDoctorTest(t, environ, "--url", healthServer(t).URL); !strings.Contains(out, "✓ redis: embedded (single host): PONG in ") {
		t.Errorf("the store serves: want the Redis line to pass:\n%s", out)
	}
}
