package logging

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
)

// As root, permissions do not make a path unwritable. Two things do, and
// both can be fixed by a test: a path under a regular file (ENOTDIR, the
// "unwritable directory" case) and a log file that is a symlink to
// /dev/full (every write fails with ENOSPC, the "full disk" case).
func TestUnwritableLogFile(t *testing.T) {
	cases := []struct {
		name, want string
		break_     func(t *testing.T, dir string) string // returns the log path
		fix        func(t *testing.T, dir string)
	}{
		{
			name: "path under a file", want: "not a directory",
			break_: func(t *testing.T, dir string) string {
				must(t, os.WriteFile(filepath.Join(dir, "logs"), nil, 0o644))
				return filepath.Join(dir, "logs", "resync.log")
			},
			fix: func(t *testing.T, dir string) {
				must(t, os.Remove(filepath.Join(dir, "logs")))
				must(t, os.Mkdir(filepath.Join(dir, "logs"), 0o755))
			},
		},
		{
			name: "disk full", want: "no space left on device",
			break_: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "resync.log")
				must(t, os.Symlink("/dev/full", p))
				return p
			},
			fix: func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "resync.log"))) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.break_(t, dir)
			stderr, err := os.CreateTemp(dir, "stderr")
			must(t, err)
			m, err := NewMaster(config.LogConfig{Level: "info", File: path, MaxSizeMB: 1}, stderr)
			must(t, err)
			defer m.Close()
			setRetry := func(next time.Time) {
				m.mu.Lock()
				f := m.cur.Load().file
				f.retry, f.next = time.Hour, next
				m.mu.Unlock()
			}
			log := m.Logger()
			log.Info("first")
			setRetry(time.Now().Add(time.Hour))
			for i := 0; i < 1000; i++ {
				log.Info("during", "i", i)
			}
			tc.fix(t, dir)
			log.Info("fixed, but the retry is not due") // proves no retry per record
			if _, err := os.Stat(path); err == nil {
				t.Fatal("the file was retried before its retry interval")
			}
			setRetry(time.Time{})
			log.Info("resumed")

			out := readFile(t, stderr.Name())
			if n := strings.Count(out, " ERROR "); n != 1 {
				t.Errorf("stderr has %d error records, want 1:\n%.2000s", n, out)
			}
			errLine := grepLine(out, " ERROR ")
			if !strings.Contains(errLine, tc.want) || !strings.Contains(errLine, path) {
				t.Errorf("the error does not say why: %s", errLine)
			}
			for _, want := range []string{"INFO first", "i=999", "not due", "INFO resumed", "missed_records=1002"} {
				if !strings.Contains(out, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			file := readFile(t, path)
			if !strings.Contains(file, "log file is writable again") || !strings.HasSuffix(grepLine(file, "resumed"), "INFO resumed") {
				t.Errorf("file after recovery:\n%s", file)
			}
			if strings.Contains(file, "during") {
				t.Errorf("file holds records from while it was broken:\n%s", file)
			}
		})
	}
}

// A file that fails is skipped, not retried on every record, and tried again
// after fileRetry (a second): once its path is fixed it resumes within that
// and says how many records it missed.
func TestFileSinkDefaultRetryIsBounded(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(blocker, nil, 0o644)) // a file where the directory should be
	f := newFileSink(filepath.Join(blocker, "x.log"), 1, 0, 0, false)
	now := time.Now()
	if n := f.write([]byte("a\n"), now); n == nil || n.level != slog.LevelError {
		t.Fatalf("first failure: notice %+v, want an error", n)
	}
	if n := f.write([]byte("b\n"), now.Add(time.Second/2)); n != nil || !f.failing {
		t.Fatalf("within the retry interval: notice %+v, failing %v; want the file skipped quietly", n, f.failing)
	}
	must(t, os.Remove(blocker))
	n := f.write([]byte("c\n"), now.Add(time.Second))
	if n == nil || n.msg != "log file is writable again" {
		t.Fatalf("a second after the failure, with the path fixed: notice %+v, want the file back", n)
	}
	for _, a := range n.attrs {
		if a.key == "missed_records" && a.val.Int64() != 2 {
			t.Errorf("missed_records = %v, want 2", a.val)
		}
	}
}

// JSON output: one valid object per line with flat keys, worker tags
// included; access records stay structured.
func TestJSONFormatOnStderr(t *testing.T) {
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	must(t, err)
	t.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "debug", Format: "json"}, stderr)
	must(t, err)
	defer m.Close()
	m.Logger().With("a", 1).WithGroup("g").Debug("multi\nline \"q\"", "b", true, "d", 1500*time.Millisecond, "err", fmt.Errorf("x"))
	m.Logger().Info("access", "kind", "access", "method", "GET", "status", 200)
	lines := strings.Split(strings.TrimSpace(readFile(t, stderr.Name())), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var r map[string]any
	must(t, json.Unmarshal([]byte(lines[0]), &r))
	if r["msg"] != "multi\nline \"q\"" || r["level"] != "DEBUG" || r["a"] != 1.0 || r["g.b"] != true ||
		r["g.d"] != 1.5e9 || r["g.err"] != "x" {
		t.Errorf("record: %v", r)
	}
	must(t, json.Unmarshal([]byte(lines[1]), &r))
	if r["method"] != "GET" || r["status"] != 200.0 {
		t.Errorf("access record: %v", r)
	}
}

func TestNewMasterRejectsBadConfig(t *testing.T) {
	for _, cfg := range []config.LogConfig{{Level: "verbose"}, {Format: "xml"}} {
		if _, err := NewMaster(cfg, os.Stderr); err == nil {
			t.Errorf("%+v accepted", cfg)
		} else if !strings.Contains(err.Error(), "verbose") && !strings.Contains(err.Error(), "xml") {
			t.Errorf("error does not name the bad value: %v", err)
		}
	}
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return string(b)
}

// USR1: Reopen moves the file aside (lumberjack's timestamped backup) and
// the next record starts a new file.
func TestReopenRotates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "resync.log")
	m, err := NewMaster(config.LogConfig{Level: "info", File: path, MaxSizeMB: 10}, devNull(t))
	must(t, err)
	defer m.Close()
	m.Logger().Info("before")
	m.Reopen()
	m.Logger().Info("after")
	files, _ := filepath.Glob(filepath.Join(dir, "resync-*.log"))
	if len(files) != 1 {
		t.Fatalf("backups: %v", files)
	}
	if b := readFile(t, files[0]); !strings.Contains(b, "INFO before") || strings.Contains(b, "after") {
		t.Errorf("backup holds %q", b)
	}
	if c := readFile(t, path); !strings.Contains(c, "INFO after") || strings.Contains(c, "before") {
		t.Errorf("current file holds %q", c)
	}
}

// journald unreachable (not listening): records go to stderr with sd-daemon
// priority prefixes, which the journal stream understands, after one error;
// when journald listens again one line says so and records go there again.
func TestJournaldDownFallsBackToStderr(t *testing.T) {
	m, j, stderr := journalMaster(t, config.LogConfig{Level: "info"})
	path := j.Path
	j.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	m.Logger().Info("one", "k", "v")
	m.Logger().Error("two")
	waitFor(t, "records on stderr", 10*time.Second, func() bool {
		return strings.Contains(readFile(t, stderr.Name()), "<3>two\n")
	})
	out := readFile(t, stderr.Name())
	if strings.Count(out, "cannot send to journald") != 1 || !strings.Contains(out, "<6>one k=v\n") {
		t.Errorf("stderr:\n%s", out)
	}
	back := listenFakeJournald(t, path)
	m.Logger().Info("three")
	waitFor(t, "journald again", 10*time.Second, func() bool {
		return strings.Contains(readFile(t, stderr.Name()), "journald reachable again") && len(back.messages()) > 0
	})
	if msgs := back.messages(); len(msgs) != 1 || msgs[0] != "three" || strings.Contains(readFile(t, stderr.Name()), "three") {
		t.Errorf("after recovery: journald got %q, stderr:\n%s", msgs, readFile(t, stderr.Name()))
	}
}
