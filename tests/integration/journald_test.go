package integration

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/journaldtest"
)

// journaldMessages counts the datagrams whose MESSAGE contains sub.
func journaldMessages(j *journaldtest.Server, sub string) int {
	n := 0
	for _, d := range j.Since(0) {
		for _, line := range bytes.Split(d.Data, []byte{'\n'}) {
			if m, ok := bytes.CutPrefix(line, []byte("MESSAGE=")); ok && bytes.Contains(m, []byte(sub)) {
				n++
				break
			}
		}
	}
	return n
}

// A journald that stops reading must not stop the master: its loop goes on
// (SIGTTIN starts a worker, which the master logs), WATCHDOG=1 keeps coming,
// and once journald reads again one warning says how many records it lost.
func TestMasterOutlivesStalledJournald(t *testing.T) {
	j := journaldtest.Listen(t, filepath.Join(t.TempDir(), "journal.sock"))
	m := startMaster(t, opts{journal: j.Path, watchdog: 2 * time.Second,
		env: []string{"RESYNC_WORKERS=1", "RESYNC_ACCESS_LOG=on"}})
	m.waitReady(false)
	m.waitWorkers(1, 10*time.Second)
	waitUntil(t, 10*time.Second, "the master's records at the stand-in journald", func() bool {
		return journaldMessages(j, "resync ready") == 1
	})

	j.Pause()
	// Access records of about 8 KiB each (the path is in MESSAGE and PATH):
	// more than the kernel's socket queue and the master's queue hold.
	// A client with a timeout: with blocking journald writes the workers
	// stall in their log calls and this is where the test would hang.
	client := &http.Client{Timeout: 10 * time.Second}
	long := m.url("/" + strings.Repeat("x", 4000))
	for i := range 1000 {
		resp, err := client.Get(long)
		if err != nil {
			t.Fatalf("request %d while journald does not read: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	pings := m.notify.count("WATCHDOG")
	m.signal(syscall.SIGTTIN)
	m.waitWorkers(2, 20*time.Second)
	waitUntil(t, 20*time.Second, "3 more WATCHDOG=1 while journald does not read", func() bool {
		return m.notify.count("WATCHDOG") >= pings+3
	})

	j.Resume()
	waitUntil(t, 20*time.Second, "the dropped-records warning", func() bool {
		return journaldMessages(j, "records dropped") > 0
	})
	get(t, m.url("/api/v1/health/live"))
	waitUntil(t, 10*time.Second, "records flowing again", func() bool {
		return journaldMessages(j, "GET /api/v1/health/live") > 0
	})
	if n := journaldMessages(j, "records dropped"); n != 1 {
		t.Errorf("%d dropped-records warnings, want 1", n)
	}
	if n := journaldMessages(j, "resync ready"); n != 1 {
		t.Errorf("%d \"resync ready\" records, want 1", n)
	}
}
