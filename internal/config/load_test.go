package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// noFile keeps a test hermetic: never read /etc/resync/env.
const noFile = "RESYNC_ENV_FILE="

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// errorStrings splits a Load error into its lines.
func errorStrings(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Load error %T is not joined", err)
	}
	var out []string
	for _, e := range j.Unwrap() {
		var ce *Error
		if !errors.As(e, &ce) {
			t.Errorf("error %v is %T, want *Error", e, e)
		}
		out = append(out, e.Error())
	}
	return out
}

// valueTest is one input of a setting: valid ones read back in canonical
// form (want), invalid ones fail with reason.
type valueTest struct {
	key, in string
	want    string // canonical value from Environ; "" with reason set = error
	reason  string
}

// areaValueTests are the cases of settings_<area>.go, added by their tests.
var areaValueTests []valueTest

// TestSettingValues runs each setting through Load from the environment:
// valid inputs must read back in canonical form, invalid ones must fail with
// an error naming key, value and reason.
func TestSettingValues(t *testing.T) {
	tests := []valueTest{
		{"RESYNC_MODE", "development", "development", ""},
		{"RESYNC_MODE", "production", "production", ""},
		{"RESYNC_MODE", "Production", "", "must be one of development, production"},
		{"RESYNC_MODE", "", "", "must be one of development, production"},

		{"RESYNC_BIND", "127.0.0.1:8000", "127.0.0.1:8000", ""},
		{"RESYNC_BIND", ":80", ":80", ""},
		{"RESYNC_BIND", "0.0.0.0:0", "0.0.0.0:0", ""},
		{"RESYNC_BIND", "[::1]:8000", "[::1]:8000", ""},
		{"RESYNC_BIND", "[fe80::1%eth0]:8000", "[fe80::1%eth0]:8000", ""},
		{"RESYNC_BIND", "localhost:8000", "localhost:8000", ""},
		{"RESYNC_BIND", "api.example.com:443", "api.example.com:443", ""},
		{"RESYNC_BIND", "unix:/run/resync/http.sock", "unix:/run/resync/http.sock", ""},
		{"RESYNC_BIND", "unix:run/http.sock", "", "unix socket path must be absolute"},
		{"RESYNC_BIND", "unix:/" + strings.Repeat("x", 107), "", "longer than 107 bytes"},
		{"RESYNC_BIND", "8000", "", "must be host:port, [v6]:port, :port or unix:/abs/path"},
		{"RESYNC_BIND", "::1:8000", "", "must be host:port"},
		{"RESYNC_BIND", "127.0.0.1:http", "", `port "http" must be a number 0-65535`},
		{"RESYNC_BIND", "127.0.0.1:65536", "", `port "65536" must be a number 0-65535`},
		{"RESYNC_BIND", "127.0.0.1:", "", `port "" must be a number`},
		{"RESYNC_BIND", "[1.2.3.4]:80", "", "in brackets must be an IPv6 address"},
		{"RESYNC_BIND", "bad_host:80", "", `"bad_host" is not an IP address or host name`},
		{"RESYNC_BIND", "-x.com:80", "", "is not an IP address or host name"},

		{"RESYNC_WORKERS", "auto", "auto", ""},
		{"RESYNC_WORKERS", "1", "1", ""},
		{"RESYNC_WORKERS", "17", "17", ""},
		{"RESYNC_WORKERS", "1024", "1024", ""},
		{"RESYNC_WORKERS", "abc", "", `must be "auto" or a positive integer`},
		{"RESYNC_WORKERS", "0", "", `must be "auto" or a positive integer`},
		{"RESYNC_WORKERS", "-1", "", `must be "auto" or a positive integer`},
		{"RESYNC_WORKERS", "AUTO", "", `must be "auto" or a positive integer`},
		{"RESYNC_WORKERS", "1025", "", "must be at most 1024"},
		{"RESYNC_WORKERS", "99999999999999999999", "", "must be at most 1024"},

		{"RESYNC_TIMEOUT", "120", "120s", ""},
		{"RESYNC_TIMEOUT", "120s", "120s", ""},
		{"RESYNC_TIMEOUT", "2m", "120s", ""},
		{"RESYNC_TIMEOUT", "1m30s", "90s", ""},
		{"RESYNC_TIMEOUT", "1500ms", "1.5s", ""},
		{"RESYNC_TIMEOUT", "0", "", "must be > 0"},
		{"RESYNC_TIMEOUT", "0s", "", "must be > 0"},
		{"RESYNC_TIMEOUT", "-5s", "", "must be > 0"},
		{"RESYNC_TIMEOUT", "1.5", "", "must be a duration"},
		{"RESYNC_TIMEOUT", "two minutes", "", "must be a duration"},
		{"RESYNC_TIMEOUT", "", "", "must be a duration"},
		{"RESYNC_TIMEOUT", "99999999999", "", "is too long"},
		{"RESYNC_GRACEFUL_TIMEOUT", "45", "45s", ""},
		{"RESYNC_GRACEFUL_TIMEOUT", "0", "", "must be > 0"},
		{"RESYNC_KEEPALIVE", "75s", "75s", ""},
		{"RESYNC_KEEPALIVE", "x", "", "must be a duration"},
		{"RESYNC_HEADER_TIMEOUT", "2", "2s", ""},
		{"RESYNC_HEADER_TIMEOUT", "-1", "", "must be a duration"},

		{"RESYNC_MAX_REQUESTS", "0", "0", ""},
		{"RESYNC_MAX_REQUESTS", "5000", "5000", ""},
		{"RESYNC_MAX_REQUESTS", "-1", "", "must be a whole number (0 or more)"},
		{"RESYNC_MAX_REQUESTS", "1e4", "", "must be a whole number"},
		{"RESYNC_MAX_REQUESTS", " 5", "", "must be a whole number"},
		{"RESYNC_MAX_REQUESTS_JITTER", "0", "0", ""},
		{"RESYNC_MAX_REQUESTS_JITTER", "x", "", "must be a whole number"},

		{"RESYNC_RUNTIME_DIR", "/srv/run", "/srv/run", ""},
		{"RESYNC_RUNTIME_DIR", "run", "", "must be an absolute path"},

		{"RESYNC_LOG_LEVEL", "debug", "debug", ""},
		{"RESYNC_LOG_LEVEL", "warn", "warn", ""},
		{"RESYNC_LOG_LEVEL", "error", "error", ""},
		{"RESYNC_LOG_LEVEL", "warning", "", "must be one of debug, info, warn, error"},
		{"RESYNC_LOG_FORMAT", "json", "json", ""},
		{"RESYNC_LOG_FORMAT", "logfmt", "", "must be one of text, json"},

		{"RESYNC_ACCESS_LOG", "off", "off", ""},
		{"RESYNC_ACCESS_LOG", "false", "off", ""},
		{"RESYNC_ACCESS_LOG", "0", "off", ""},
		{"RESYNC_ACCESS_LOG", "NO", "off", ""},
		{"RESYNC_ACCESS_LOG", "yes", "on", ""},
		{"RESYNC_ACCESS_LOG", "True", "on", ""},
		{"RESYNC_ACCESS_LOG", "1", "on", ""},
		{"RESYNC_ACCESS_LOG", "enabled", "", "must be on or off (also true/false, yes/no, 1/0)"},
		{"RESYNC_ACCESS_LOG", "", "", "must be on or off"},
		{"RESYNC_LOG_COMPRESS", "off", "false", ""},
		{"RESYNC_LOG_COMPRESS", "2", "", "must be true or false (also on/off, yes/no, 1/0)"},
		{"RESYNC_METRICS", "false", "off", ""},
		{"RESYNC_METRICS", "y", "", "must be on or off"},

		{"RESYNC_LOG_FILE", "", "", ""},
		{"RESYNC_LOG_FILE", "/var/log/resync/resync.log", "/var/log/resync/resync.log", ""},
		{"RESYNC_LOG_FILE", "resync.log", "", "must be an absolute path (or empty)"},
		{"RESYNC_ACCESS_LOG_FILE", "/var/log/resync/access.log", "/var/log/resync/access.log", ""},
		{"RESYNC_ACCESS_LOG_FILE", "./a.log", "", "must be an absolute path"},
		{"RESYNC_LOG_MAX_SIZE_MB", "1", "1", ""},
		{"RESYNC_LOG_MAX_SIZE_MB", "0", "", "must be a positive integer"},
		{"RESYNC_LOG_MAX_BACKUPS", "0", "0", ""},
		{"RESYNC_LOG_MAX_BACKUPS", "-3", "", "must be a whole number"},
		{"RESYNC_LOG_MAX_AGE_DAYS", "0", "0", ""},
		{"RESYNC_LOG_MAX_AGE_DAYS", "7d", "", "must be a whole number"},

		{"RESYNC_TRUSTED_PROXIES", "", "", ""},
		{"RESYNC_TRUSTED_PROXIES", "10.0.0.1", "10.0.0.1/32", ""},
		{"RESYNC_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.0/24 ::1\tfd00::/8",
			"10.0.0.0/8,192.168.1.0/24,::1/128,fd00::/8", ""},
		{"RESYNC_TRUSTED_PROXIES", " , ,", "", ""},
		{"RESYNC_TRUSTED_PROXIES", "10.0.0.1/8", "", `"10.0.0.1/8" has host bits set (the network is 10.0.0.0/8)`},
		{"RESYNC_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local", "", `"proxy.local" is not an IP address or CIDR`},
		{"RESYNC_TRUSTED_PROXIES", "10.0.0.0/33", "", `"10.0.0.0/33" is not an IP address or CIDR`},
		{"RESYNC_TRUSTED_PROXIES", "fe80::1%eth0", "", "is not an IP address or CIDR"},

		{"RESYNC_ADMIN_TOKEN", "s3cr3t-Token_value", "s3cr3t-Token_value", ""},
		{"RESYNC_ADMIN_TOKEN", "has space", "", "must not contain whitespace or control characters"},
		{"RESYNC_API_TOKENS", " one, two ,,three", "one,two,three", ""},
		{"RESYNC_API_TOKENS", "ok,bad\x01", "", "must not contain whitespace or control characters"},
		{"RESYNC_WORKER_MAX_RSS_MB", "0", "0", ""},
		{"RESYNC_WORKER_MAX_RSS_MB", "512", "512", ""},
		{"RESYNC_WORKER_MAX_RSS_MB", "512MB", "", "must be a whole number"},
	}
	tests = append(tests, areaValueTests...)
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.key] = true
		t.Run(tt.key+"="+tt.in, func(t *testing.T) {
			c, err := Load([]string{noFile, tt.key + "=" + tt.in})
			if tt.reason != "" {
				msgs := errorStrings(t, err)
				value := strconv.Quote(tt.in)
				if s, _ := lookupSetting(tt.key); s.secret {
					value = `"********"`
				}
				prefix := "environment: " + tt.key + "=" + value + ": "
				if len(msgs) != 1 || !strings.HasPrefix(msgs[0], prefix) || !strings.Contains(msgs[0], tt.reason) {
					t.Fatalf("Load error = %q, want one starting %q containing %q", msgs, prefix, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := envValue(c.Environ(), tt.key)
			if got != tt.want {
				t.Errorf("%s=%q reads as %q, want %q", tt.key, tt.in, got, tt.want)
			}
		})
	}
	for _, s := range settings {
		if !covered[s.key] && s.key != "RESYNC_ENV_FILE" {
			t.Errorf("setting %s has no test case", s.key)
		}
	}
}

func envValue(environ []string, key string) string {
	for _, kv := range environ {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return "<missing>"
}

func TestDefault(t *testing.T) {
	c := Default()
	c.TWS = TWSConfig{}               // settings_tws_test.go
	c.Monitoring = MonitoringConfig{} // settings_monitoring_test.go
	c.Redis = RedisConfig{}           // settings_redis_test.go
	want := Config{
		Mode: "development", Bind: "127.0.0.1:8000", Workers: autoWorkers(), WorkersAuto: true,
		Timeout: 120 * time.Second, GracefulTimeout: 30 * time.Second, Keepalive: 5 * time.Second,
		HeaderTimeout: 10 * time.Second, MaxRequests: 1000000, MaxRequestsJitter: 100000,
		EnvFile: "/etc/resync/env", RuntimeDir: defaultRuntimeDir(os.Getenv, os.Geteuid()),
		Log: LogConfig{Level: "info", Format: "text", Access: true, MaxSizeMB: 100,
			MaxBackups: 10, MaxAgeDays: 30, Compress: true},
		Metrics: MetricsConfig{Enabled: true},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Default() =\n%+v\nwant\n%+v", c, want)
	}
	if c.Workers < 2 || c.Workers < runtime.GOMAXPROCS(0) {
		t.Errorf("auto workers = %d with GOMAXPROCS %d", c.Workers, runtime.GOMAXPROCS(0))
	}
}

func TestDefaultRuntimeDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		euid int
		want string
	}{
		{"systemd RuntimeDirectory", map[string]string{"RUNTIME_DIRECTORY": "/run/resync", "XDG_RUNTIME_DIR": "/run/user/1000"}, 1000, "/run/resync"},
		{"several RuntimeDirectory", map[string]string{"RUNTIME_DIRECTORY": "/run/a:/run/b"}, 0, "/run/a"},
		{"root", map[string]string{"XDG_RUNTIME_DIR": "/run/user/0"}, 0, "/run/resync"},
		{"user session", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}, 1000, "/run/user/1000/resync"},
		{"relative XDG ignored", map[string]string{"XDG_RUNTIME_DIR": "run"}, 1000, "/tmp/resync-1000"},
		{"TMPDIR", map[string]string{"TMPDIR": "/var/tmp"}, 1000, "/var/tmp/resync-1000"},
		{"nothing", nil, 42, "/tmp/resync-42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := defaultRuntimeDir(func(k string) string { return tt.env[k] }, tt.euid)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Load takes the defaults from the environ it is given, not the process.
	c, err := Load([]string{noFile, "RUNTIME_DIRECTORY=/run/from-systemd"})
	if err != nil {
		t.Fatal(err)
	}
	if c.RuntimeDir != "/run/from-systemd" {
		t.Errorf("RuntimeDir = %q, want /run/from-systemd", c.RuntimeDir)
	}
}

func TestLoadFile(t *testing.T) {
	path := writeFile(t, `# resync settings
RESYNC_MODE=production
RESYNC_WORKERS=bogus, but overridden below
RESYNC_WORKERS = 4
RESYNC_TIMEOUT="90"
RESYNC_TRUSTED_PROXIES='172.16.0.0/12 \
  192.168.0.0/16'
RESYNC_TRUSTED_PROXIES=10.0.0.0/8,\
192.168.0.0/16
OTHER_PROGRAM=ignored
PATH=/nowhere
`)
	c, err := Load([]string{"RESYNC_ENV_FILE=" + path, "RESYNC_MODE=development", "RESYNC_LOG_LEVEL=debug"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != "production" {
		t.Errorf("Mode = %q: the file must win over the environment", c.Mode)
	}
	if c.Log.Level != "debug" {
		t.Errorf("Log.Level = %q: the environment must win over defaults", c.Log.Level)
	}
	if c.Workers != 4 || c.WorkersAuto {
		t.Errorf("Workers = %d auto=%v", c.Workers, c.WorkersAuto)
	}
	if c.Timeout != 90*time.Second {
		t.Errorf("Timeout = %v", c.Timeout)
	}
	if want := []string{"10.0.0.0/8", "192.168.0.0/16"}; !reflect.DeepEqual(c.Log.TrustedProxies, want) {
		t.Errorf("TrustedProxies = %q, want %q", c.Log.TrustedProxies, want)
	}
	if c.EnvFile != path {
		t.Errorf("EnvFile = %q, want %q", c.EnvFile, path)
	}
}

func TestLoadErrors(t *testing.T) {
	path := writeFile(t, "RESYNC_MODE=production\n"+ // 1
		"\n"+ // 2
		"RESYNC_WORKERS=abc\n"+ // 3
		"RESYNC_WORKER=4\n"+ // 4
		"resync_timeout=5\n"+ // 5
		"RESYNC_COMPLETELY_DIFFERENT=1\n"+ // 6
		"RESYNC_LOG_LEVEL 'debug'\n"+ // 7
		"RESYNC_ENV_FILE=/other\n"+ // 8
		"RESYNC_ADMIN_TOKEN=\"bad token\"\n"+ // 9
		"RESYNC_ADMIN_TOKEN has-no-equals\n"+ // 10
		"RESYNC_BIND='unterminated\n") // 11
	_, err := Load([]string{"RESYNC_ENV_FILE=" + path, "RESYNC_TIMEOUT=0", "RESYNC_NOT_A_SETTING=1", "RESYNC_WORKER_ID=7"})
	want := []string{
		`environment: RESYNC_TIMEOUT="0": must be > 0`,
		path + `:3: RESYNC_WORKERS="abc": must be "auto" or a positive integer`,
		path + `:4: RESYNC_WORKER="4": unknown setting; did you mean RESYNC_WORKERS?`,
		path + `:5: resync_timeout="5": unknown setting; did you mean RESYNC_TIMEOUT?`,
		path + `:6: RESYNC_COMPLETELY_DIFFERENT="1": unknown setting`,
		path + `:7: "RESYNC_LOG_LEVEL 'debug'": not a KEY=VALUE assignment (no "=")`,
		path + `:8: RESYNC_ENV_FILE="/other": has no effect inside the env file; set it in the environment or use --env-file`,
		path + `:9: RESYNC_ADMIN_TOKEN="********": must not contain whitespace or control characters`,
		path + `:10: "RESYNC_ADMIN_TOKEN ********": not a KEY=VALUE assignment (no "=")`,
		path + `:11: RESYNC_BIND="unterminated\n": quote opened here is never closed`,
	}
	got := errorStrings(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(err.Error(), "bad token") || strings.Contains(err.Error(), "has-no-equals") {
		t.Errorf("error leaks the admin token: %v", err)
	}
}

func TestLoadEnvFileMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Load([]string{"RESYNC_ENV_FILE=" + missing})
	want := []string{missing + ": read env file: no such file or directory"}
	if got := errorStrings(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("named missing file: %q, want %q", got, want)
	}

	dir := t.TempDir()
	_, err = Load([]string{"RESYNC_ENV_FILE=" + dir})
	if got := errorStrings(t, err); len(got) != 1 || !strings.HasPrefix(got[0], dir+": read env file: ") {
		t.Errorf("directory as env file: %q", got)
	}

	c, err := Load([]string{noFile, "RESYNC_WORKERS=3"})
	if err != nil || c.EnvFile != "" || c.Workers != 3 {
		t.Errorf("empty RESYNC_ENV_FILE: %+v, %v", c, err)
	}

	if _, err := os.Stat(DefaultEnvFile); errors.Is(err, os.ErrNotExist) {
		c, err := Load(nil)
		if err != nil || c.EnvFile != DefaultEnvFile {
			t.Errorf("missing default file must be fine: EnvFile=%q err=%v", c.EnvFile, err)
		}
	}
}

func TestLoadEnvironIgnoresUnknown(t *testing.T) {
	c, err := Load([]string{noFile, "RESYNC_WORKER=1", "RESYNC_WORKER_FDS=3,4", "HOME=/root", "garbage", "=x",
		"RESYNC_WORKERS=2", "RESYNC_WORKERS=5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers != 5 {
		t.Errorf("Workers = %d: the last of repeated keys must win", c.Workers)
	}
}

func TestEnvironRoundTrip(t *testing.T) {
	path := writeFile(t, "RESYNC_MODE=production\nRESYNC_BIND=unix:/run/r.sock\nRESYNC_TIMEOUT=1500ms\n"+
		"RESYNC_TRUSTED_PROXIES=\"::1 10.1.0.0/16\"\nRESYNC_ADMIN_TOKEN=t0k3n!\"#$\nRESYNC_LOG_COMPRESS=no\n"+
		"RESYNC_WORKERS=7\nRESYNC_LOG_FILE=\"/var/log/with space.log\"\n")
	for _, tc := range []struct {
		name    string
		environ []string
	}{
		{"defaults", []string{noFile}},
		{"from file", []string{"RESYNC_ENV_FILE=" + path, "RESYNC_ACCESS_LOG=0"}},
		{"auto workers", []string{noFile, "RESYNC_WORKERS=auto", "RESYNC_RUNTIME_DIR=/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.environ)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Load(c.Environ())
			if err != nil {
				t.Fatalf("Load(Environ()): %v", err)
			}
			if !reflect.DeepEqual(again, c) {
				t.Errorf("round trip:\n got %+v\nwant %+v", again, c)
			}
			// What the master hands a worker: no file, same settings.
			worker, err := Load(append(c.Environ(), noFile))
			c.EnvFile = ""
			if err != nil || !reflect.DeepEqual(worker, c) {
				t.Errorf("worker view: %+v, %v\nwant %+v", worker, err, c)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	c, err := Load([]string{noFile, "RESYNC_ADMIN_TOKEN=supersecret", "RESYNC_WORKERS=auto", "RESYNC_LOG_FILE=/var/log/a b.log"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	c.Write(&b)
	out := b.String()
	if strings.Contains(out, "supersecret") {
		t.Errorf("Write leaks the admin token:\n%s", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(settings) {
		t.Fatalf("Write printed %d lines for %d settings:\n%s", len(lines), len(settings), out)
	}
	col := strings.Index(lines[0], "# ")
	for i, s := range settings {
		if !strings.HasPrefix(lines[i], s.key+"=") || strings.Index(lines[i], "  # ") != col-2 {
			t.Errorf("line %d not aligned or out of order: %q", i, lines[i])
		}
	}
	for _, want := range []string{
		"RESYNC_ADMIN_TOKEN=********  ",
		`RESYNC_LOG_FILE="/var/log/a b.log"`,
		"[auto = " + strconv.Itoa(autoWorkers()) + " here]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Write output lacks %q:\n%s", want, out)
		}
	}
}

// TestTemplate checks the shipped template is a valid env file that, once
// every setting is uncommented, loads to the defaults.
func TestTemplate(t *testing.T) {
	var b strings.Builder
	Template(&b)
	tpl := b.String()
	as, errs := parseEnvFile(tpl, "template")
	if len(as) != 0 || len(errs) != 0 {
		t.Fatalf("template as shipped must set nothing: %v %v", as, errs)
	}
	uncommented := strings.ReplaceAll(tpl, "\n#RESYNC_", "\nRESYNC_")
	for _, s := range settings {
		if s.envOnly == strings.Contains(uncommented, "\n"+s.key+"=") {
			t.Errorf("template and %s: envOnly=%v", s.key, s.envOnly)
		}
	}
	path := writeFile(t, uncommented)
	c, err := Load([]string{"RESYNC_ENV_FILE=" + path, "RUNTIME_DIRECTORY=/run/t"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Load([]string{noFile, "RUNTIME_DIRECTORY=/run/t"})
	want.EnvFile = path
	if !reflect.DeepEqual(c, want) {
		t.Errorf("uncommented template = %+v\nwant defaults %+v", c, want)
	}
}

func TestTrustedPrefixes(t *testing.T) {
	c, err := Load([]string{noFile, "RESYNC_TRUSTED_PROXIES=10.0.0.0/8 ::1"})
	if err != nil {
		t.Fatal(err)
	}
	p := c.Log.TrustedPrefixes()
	if len(p) != 2 || p[0].String() != "10.0.0.0/8" || p[1].String() != "::1/128" {
		t.Errorf("TrustedPrefixes = %v", p)
	}
}

func TestClosestKey(t *testing.T) {
	for in, want := range map[string]string{
		"RESYNC_LOGLEVEL":     "RESYNC_LOG_LEVEL",
		"RESYNC_TIMOUT":       "RESYNC_TIMEOUT",
		"resync_bind":         "RESYNC_BIND",
		"RESYNC_KEEP_ALIVE":   "RESYNC_KEEPALIVE",
		"RESYNC_REDIS_UR":     "RESYNC_REDIS_URL",
		"RESYNC_ACCESSLOG_FL": "RESYNC_ACCESS_LOG_FILE",
		"RESYNC_HWA_URL":      "RESYNC_TWS_URL", // a near miss of a real key is suggested
	} {
		if got := closestKey(in); got != want {
			t.Errorf("closestKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSettingsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.key] {
			t.Errorf("duplicate setting %s", s.key)
		}
		seen[s.key] = true
		if !strings.HasPrefix(s.key, "RESYNC_") || !validEnvName(s.key) || s.doc == "" || s.group == "" ||
			strings.Contains(s.doc, "\n") || s.set == nil || s.get == nil {
			t.Errorf("incomplete row %+v", s)
		}
	}
	defaults() // panics if a default does not parse
}

func FuzzLoad(f *testing.F) {
	f.Add("RESYNC_WORKERS=4\nRESYNC_TIMEOUT=2m", "RESYNC_MODE=production")
	f.Add("RESYNC_TRUSTED_PROXIES='10.0.0.0/8 ::1'\nRESYNC_ADMIN_TOKEN=\"x\\$y\"", "RESYNC_BIND=[::1]:80")
	f.Add("RESYNC_BIND=unix:/a\nRESYNC_LOG_FILE=\"/a\nb\"", "RESYNC_WORKERS=auto")
	f.Add("resync_x=1\nbad line", "RESYNC_TIMEOUT=0")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file, env string) {
		path := filepath.Join(dir, "env")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		environ := append(strings.Split(env, "\n"), "RESYNC_ENV_FILE="+path, "RUNTIME_DIRECTORY=/run/f")
		c, err := Load(environ)
		if err != nil {
			for _, e := range errorStrings(t, err) {
				if e == "" {
					t.Fatal("empty error message")
				}
			}
			return
		}
		again, err := Load(append(c.Environ(), noFile))
		c.EnvFile = ""
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip: %+v, %v\nwant %+v", again, err, c)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	var tpl strings.Builder
	Template(&tpl)
	path := filepath.Join(b.TempDir(), "env")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(tpl.String(), "\n#RESYNC_", "\nRESYNC_")), 0o600); err != nil {
		b.Fatal(err)
	}
	environ := append(os.Environ(), "RESYNC_ENV_FILE="+path)
	for b.Loop() {
		if _, err := Load(environ); err != nil {
			b.Fatal(err)
		}
	}
}
