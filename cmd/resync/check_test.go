package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCheckWith(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = check(args, environ, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCheckValid(t *testing.T) {
	path := writeEnvFile(t, "RESYNC_WORKERS=3\nRESYNC_ADMIN_TOKEN=hunter2hunter2\n")
	code, out, errOut := runCheckWith(t, []string{"RESYNC_MODE=production", "RESYNC_REDIS_URL=redis://127.0.0.1:6379/0"}, "--env-file", path)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"RESYNC_MODE=production ", "RESYNC_WORKERS=3 ", "RESYNC_ENV_FILE=" + path + " ", "RESYNC_ADMIN_TOKEN=********"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("stdout leaks the token:\n%s", out)
	}
}

func TestCheckErrors(t *testing.T) {
	path := writeEnvFile(t, "RESYNC_WORKERS=abc\n\nRESYNC_LOGLEVEL=debug\n")
	code, out, errOut := runCheckWith(t, []string{"RESYNC_TIMEOUT=0", "RESYNC_ENV_FILE=/ignored/because/flag"}, "-env-file="+path)
	if code != exitFail || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	want := `environment: RESYNC_TIMEOUT="0": must be > 0` + "\n" +
		path + `:1: RESYNC_WORKERS="abc": must be "auto" or a positive integer` + "\n" +
		path + `:3: RESYNC_LOGLEVEL="debug": unknown setting; did you mean RESYNC_LOG_LEVEL?` + "\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
}

// Production without a Redis: every value is valid, but resync serve would
// refuse to start, so check fails and names the setting.
func TestCheckProductionNeedsRedis(t *testing.T) {
	path := writeEnvFile(t, "RESYNC_MODE=production\n")
	code, out, errOut := runCheckWith(t, nil, "--env-file", path)
	if code != exitFail || out != "" || !strings.Contains(errOut, "RESYNC_REDIS_URL is empty") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	path = writeEnvFile(t, "RESYNC_MODE=production\nRESYNC_REDIS_URL=embedded\n")
	if code, _, errOut := runCheckWith(t, nil, "--env-file", path); code != exitOK {
		t.Errorf("RESYNC_REDIS_URL=embedded: exit %d, stderr %q", code, errOut)
	}
}

func TestCheckEnvFileFromEnvironment(t *testing.T) {
	path := writeEnvFile(t, "RESYNC_BIND=:9000\n")
	code, out, errOut := runCheckWith(t, []string{"RESYNC_ENV_FILE=" + path})
	if code != exitOK || !strings.Contains(out, "RESYNC_BIND=:9000 ") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	// An empty --env-file means no file, overriding the environment.
	code, out, errOut = runCheckWith(t, []string{"RESYNC_ENV_FILE=" + path}, "--env-file=")
	if code != exitOK || !strings.Contains(out, "RESYNC_BIND=127.0.0.1:8000 ") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
}

func TestCheckMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name    string
		environ []string
		args    []string
	}{
		{"flag", nil, []string{"--env-file", missing}},
		{"environment", []string{"RESYNC_ENV_FILE=" + missing}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCheckWith(t, tc.environ, tc.args...)
			if code != exitFail || out != "" || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "no such file") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"extra"}, {"--env-file"}} {
		code, out, errOut := runCheckWith(t, []string{"RESYNC_ENV_FILE="}, args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "usage: resync check") {
			t.Errorf("check %q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	code, _, errOut := runCheckWith(t, nil, "-h")
	if code != exitOK || !strings.Contains(errOut, "-env-file") {
		t.Errorf("check -h: exit %d, stderr %q", code, errOut)
	}
}

// TestRunCheck drives the real entry point with the process environment.
func TestRunCheck(t *testing.T) {
	path := writeEnvFile(t, "RESYNC_MODE=production\nRESYNC_REDIS_URL=redis://127.0.0.1:6379/0\n")
	t.Setenv("RESYNC_ENV_FILE", "/does/not/matter")
	if code := runCheck([]string{"--env-file", path}); code != exitOK {
		t.Errorf("runCheck valid file: exit %d", code)
	}
	bad := writeEnvFile(t, "RESYNC_MODE=staging\n")
	if code := runCheck([]string{"--env-file", bad}); code != exitFail {
		t.Errorf("runCheck bad file: exit %d", code)
	}
}
