package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
)

// production returns facts for a host that passes every check, served by srv.
func healthy(t *testing.T, srv *httptest.Server) Facts {
	t.Helper()
	c, err := config.Load([]string{"RESYNC_ENV_FILE=", "RESYNC_MODE=production", "RESYNC_WORKERS=4",
		"RESYNC_ADMIN_TOKEN=" + adminToken, "RESYNC_TWS_URL=https://engine.example.com:31116", "RESYNC_TWS_USER=resync"})
	if err != nil {
		t.Fatal(err)
	}
	return Facts{EnvFile: "/etc/resync/env", Config: c, CPUs: 2,
		Status: &control.Snapshot{Target: 4}, MemLimit: 2 << 30,
		Redis:   RedisFacts{Where: "redis://10.0.0.5:6379/0", Latency: 300 * time.Microsecond},
		BaseURL: srv.URL, Client: srv.Client()}
}

func server(t *testing.T, readyCode int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/health/ready" {
			w.WriteHeader(readyCode)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func byName(rs []Result) map[string]Result {
	m := map[string]Result{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

func TestProductionHostPasses(t *testing.T) {
	rs := byName(Run(context.Background(), healthy(t, server(t, 200))))
	for name, r := range rs {
		if !r.OK {
			t.Errorf("%s fails: %s", name, r.Detail)
		}
	}
	if r := rs["redis"]; r.Detail != "redis://10.0.0.5:6379/0: PONG in 0.3 ms" {
		t.Errorf("redis line: %q", r.Detail)
	}
	if len(rs) != 11 {
		t.Errorf("%d checks, want 11: %v", len(rs), rs)
	}
}

func TestEachFailure(t *testing.T) {
	for _, tc := range []struct {
		check string
		edit  func(*Facts)
		want  string // in Detail
	}{
		{"mode", func(f *Facts) { f.Config.Mode = "development" }, "RESYNC_MODE=development"},
		{"tokens", func(f *Facts) { f.Config.Metrics.AdminToken = "" }, "set RESYNC_ADMIN_TOKEN"},
		{"tokens", func(f *Facts) { f.Config.Metrics.AdminToken, f.Config.Security.APITokens = "", []string{"op"} },
			"admin endpoints are closed"},
		{"workers", func(f *Facts) { f.Status.Target = 1 }, "1 workers for 2 cores"},
		{"workers", func(f *Facts) { f.Status.Target = 6 }, "6 workers for 2 cores"},
		{"memory limit", func(f *Facts) { f.MemLimit = 0 }, "no memory.max"},
		{"memory limit", func(f *Facts) { f.MemLimit, f.UnitMemory = 0, "MemoryMax=1073741824" }, "set on the unit but not in force"},
		{"memory limit", func(f *Facts) { f.Status = nil }, "no running master"},
		{"memory limit", func(f *Facts) { f.MemLimitErr = errors.New("permission denied") }, "permission denied"},
		{"logs", func(f *Facts) {
			f.Config.Log.File, f.Config.Log.MaxBackups, f.Config.Log.MaxAgeDays = "/var/log/resync/x.log", 0, 0
		}, "never deleted"},
		{"metrics", func(f *Facts) { f.Config.Metrics.Enabled = false }, "RESYNC_METRICS=off"},
		{"hwa engine", func(f *Facts) { f.Config.TWS.URL = "" }, "no RESYNC_TWS_URL"},
		{"hwa engine", func(f *Facts) { f.Config.TWS.InsecureSkipVerify = true }, "not verified"},
		{"health /api/v1/health/live", func(f *Facts) { f.BaseURL = closedURL(t) }, "refused"},
		{"redis", func(f *Facts) { f.Redis = RedisFacts{Refused: errors.New("RESYNC_REDIS_URL is empty")} }, "RESYNC_REDIS_URL is empty"},
		{"redis", func(f *Facts) { f.Redis.Err = errors.New("redis unavailable: ConnectionRefusedError") }, "10.0.0.5:6379/0: redis unavailable"},
		{"redis", func(f *Facts) { f.Redis.Embedded = true }, "embedded (single host)"},
		{"redis", func(f *Facts) { f.Redis.Embedded, f.Redis.Err = true, errors.New("no such file") }, "no such file"},
	} {
		f := healthy(t, server(t, 200))
		tc.edit(&f)
		r := byName(Run(context.Background(), f))[tc.check]
		if r.OK || !strings.Contains(r.Detail, tc.want) || r.Fix == "" {
			t.Errorf("%s: got %+v, want a failure mentioning %q with a fix", tc.check, r, tc.want)
		}
	}
}

const adminToken = "s3cr3t-admin-token"

// The token line passes in development without a token, and never prints one.
func TestTokensLine(t *testing.T) {
	f := healthy(t, server(t, 200))
	rs := byName(Run(context.Background(), f))
	if r := rs["tokens"]; !r.OK || strings.Contains(r.Detail+r.Fix, adminToken) {
		t.Errorf("with a token: %+v", r)
	}
	f.Config.Mode, f.Config.Metrics.AdminToken = "development", ""
	if r := byName(Run(context.Background(), f))["tokens"]; !r.OK || !strings.Contains(r.Detail, "local clients only") {
		t.Errorf("development without a token: %+v", r)
	}
}

func TestReadyAnswering503Fails(t *testing.T) {
	r := byName(Run(context.Background(), healthy(t, server(t, 503))))["health /api/v1/health/ready"]
	if r.OK || !strings.Contains(r.Detail, "503") {
		t.Errorf("got %+v", r)
	}
}

// The embedded store passes on a development host, once its master answers.
func TestDevelopmentEmbeddedRedis(t *testing.T) {
	f := healthy(t, server(t, 200))
	f.Config.Mode = "development"
	f.Redis = RedisFacts{Embedded: true, Where: "unix:///run/resync/redis/redis.sock", Latency: time.Millisecond}
	if r := byName(Run(context.Background(), f))["redis"]; !r.OK || !strings.Contains(r.Detail, "embedded (single host)") {
		t.Errorf("embedded in development: %+v", r)
	}
	f.Redis.Err = errors.New("no such file or directory")
	if r := byName(Run(context.Background(), f))["redis"]; r.OK || !strings.Contains(r.Fix, "systemctl start resync") {
		t.Errorf("embedded with no master: %+v", r)
	}
}

func TestInvalidConfigurationIsOneFailure(t *testing.T) {
	rs := Run(context.Background(), Facts{EnvFile: "/etc/resync/env", ConfigErr: errors.New("/etc/resync/env:3: bad")})
	if len(rs) != 1 || rs[0].OK || !strings.Contains(rs[0].Detail, ":3:") {
		t.Errorf("got %+v", rs)
	}
}

func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	n := Write(&b, []Result{{Name: "a", OK: true, Detail: "fine"}, {Name: "b", Detail: "broken", Fix: "mend it"}})
	want := "✓ a: fine\n✗ b: broken — fix: mend it\n"
	if n != 1 || b.String() != want {
		t.Errorf("Write = %d, %q; want 1, %q", n, b.String(), want)
	}
}

func TestProfile(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		requests uint64
		up       time.Duration
		want     string
	}{
		{500, 24 * time.Hour, "load profile: low"},
		{999, 24 * time.Hour, "load profile: low"},
		{1000, 24 * time.Hour, "load profile: medium"},
		{5000, 12 * time.Hour, "load profile: medium"}, // 10000/day: the guide's medium is 1000–10000
		{5001, 12 * time.Hour, "load profile: high"},
		{50, 10 * time.Minute, "load profile: medium"},
	} {
		got := Profile(&control.Snapshot{Started: now.Add(-tc.up), Requests: tc.requests}, nil, now)
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%d requests in %v: %q, want %q…", tc.requests, tc.up, got, tc.want)
		}
		if tc.up < time.Hour && !strings.Contains(got, "rough guess") {
			t.Errorf("short uptime not flagged: %q", got)
		}
	}
	if got := Profile(nil, errors.New("no master"), now); !strings.Contains(got, "unknown") {
		t.Errorf("no master: %q", got)
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ listen, bind, want string }{
		{"[::]:8000 (Stream)\n", "127.0.0.1:9", "http://127.0.0.1:8000"},
		{"0.0.0.0:8080 (Stream)\n", "", "http://127.0.0.1:8080"},
		{"10.0.0.5:8000 (Stream)\n[::1]:8000 (Stream)\n", "", "http://10.0.0.5:8000"},
		{"", "127.0.0.1:8000", "http://127.0.0.1:8000"},
		{"", ":9000", "http://127.0.0.1:9000"},
		{"", "[::1]:9000", "http://[::1]:9000"},
		{"", "unix:/run/resync/http.sock", "http://localhost"},
	} {
		if got, _ := Endpoint(tc.listen, tc.bind); got != tc.want {
			t.Errorf("Endpoint(%q, %q) = %q, want %q", tc.listen, tc.bind, got, tc.want)
		}
	}
}

// TestEndpointUnix serves on a real unix socket and reaches it through the client.
func TestEndpointUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "http.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	base, client := Endpoint("", "unix:"+path)
	code, err := get(context.Background(), client, base+"/api/v1/health/live")
	if err != nil || code != 200 {
		t.Fatalf("GET over unix socket: %d, %v", code, err)
	}
}
