package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// With log files configured: the master alone writes them; access records
// (with the worker's pid) go to the access file, everything else — a worker's
// panic stack included, attributed to it — to the main file; USR1 rotates.
func TestLogFilesAndRotation(t *testing.T) {
	dir := t.TempDir()
	main, access := filepath.Join(dir, "resync.log"), filepath.Join(dir, "access.log")
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_ACCESS_LOG=on", "RESYNC_LOG_FILE=" + main, "RESYNC_ACCESS_LOG_FILE=" + access}})
	m.waitReady(false)
	pids := m.waitWorkers(2, 10*time.Second)
	for i := 0; i < 20; i++ {
		get(t, m.url("/api/v1/health/live"))
	}
	get(t, m.url("/debug/panic"))
	combined := regexp.MustCompile(`(?m)^127\.0\.0\.1 - - \[[^]]+\] "GET /api/v1/health/live HTTP/1\.1" 200 \d+ "-" "Go-http-client/1\.1" duration_us=\d+ correlation_id=[0-9a-f]{32} worker_pid=(\d+) generation=1$`)
	// The panic's access line too: one arriving after the reopen below would
	// land in the fresh file.
	waitUntil(t, 10*time.Second, "21 access lines in the access file", func() bool {
		b, _ := os.ReadFile(access)
		return len(combined.FindAllString(string(b), -1)) == 20 && strings.Contains(string(b), `"GET /debug/panic HTTP/1.1" 500`)
	})
	b, _ := os.ReadFile(access)
	for _, match := range combined.FindAllStringSubmatch(string(b), -1) {
		if match[1] != itoa(pids[0]) && match[1] != itoa(pids[1]) {
			t.Errorf("access line attributed to %s, not a worker (%v)", match[1], pids)
		}
	}
	waitUntil(t, 10*time.Second, "the panic in the main file, attributed", func() bool {
		b, _ := os.ReadFile(main)
		return regexp.MustCompile(`ERROR panic serving request .*test panic.*worker_pid=\d+ generation=1`).Match(b)
	})
	if b, _ := os.ReadFile(main); strings.Contains(string(b), "GET /api/v1/health/live") {
		t.Error("access records in the main log file although RESYNC_ACCESS_LOG_FILE is set")
	}
	if strings.Contains(m.log.String(), "GET /api/v1/health/live") {
		t.Error("access records on stderr although RESYNC_ACCESS_LOG_FILE is set")
	}

	m.signal(syscall.SIGUSR1)
	m.waitLog(`log files reopened`, 5*time.Second)
	get(t, m.url("/api/v1/health/live"))
	// lumberjack renames the file, then compresses the backup in the
	// background (x.log, then x.log and x.log.gz, then x.log.gz): wait for
	// what an operator would find once it is done, one compressed backup each.
	rotated := func() bool {
		fresh, _ := os.ReadFile(access)
		return onlyBackup(dir, "access-") && onlyBackup(dir, "resync-") && strings.Count(string(fresh), "\n") == 1
	}
	for deadline := time.Now().Add(10 * time.Second); !rotated(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			fresh, _ := os.ReadFile(access)
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			t.Fatalf("timed out waiting for one compressed backup of each file and a fresh access file: files %v, access file:\n%s", files, fresh)
		}
	}
}

// onlyBackup: exactly one rotated file with the prefix, and it is compressed.
func onlyBackup(dir, prefix string) bool {
	all, _ := filepath.Glob(filepath.Join(dir, prefix+"*.log*"))
	gz, _ := filepath.Glob(filepath.Join(dir, prefix+"*.log.gz"))
	return len(all) == 1 && len(gz) == 1
}

// A reload applies the log settings to the master too: a log file named in the
// env file starts receiving records without a restart.
func TestReloadAppliesLogSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resync.log")
	m := startMaster(t, opts{envFile: "RESYNC_WORKERS=1\n"})
	m.waitReady(false)
	writeFile(t, m.envFile, "RESYNC_WORKERS=1\nRESYNC_LOG_FILE="+path+"\nRESYNC_LOG_LEVEL=debug\n")
	m.signal(syscall.SIGHUP)
	waitUntil(t, 20*time.Second, "the new generation's records in the new file", func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), "worker booted") && strings.Contains(string(b), "reload done")
	})
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), " DEBUG ") {
		t.Errorf("RESYNC_LOG_LEVEL=debug not applied: no DEBUG record in\n%s", b)
	}
}

// The access log is on by default and sees every answer, a 414 from the
// request limits included, with the id the client sent.
func TestAccessLogOnStderr(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=1", "RESYNC_ACCESS_LOG=on"}})
	m.waitReady(false)
	rawStatus(t, m.addr, "GET /x?"+strings.Repeat("a", 4100)+" HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: trace-414\r\n\r\n")
	m.waitLog(`"GET /x\?a+ HTTP/1\.1" 414 \d+ "-" "-" duration_us=\d+ correlation_id=trace-414 worker_pid=\d+ generation=1`, 10*time.Second)
}
