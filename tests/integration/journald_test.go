package integration

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// standInJournald is journald's native socket for one test: it keeps each
// datagram's MESSAGE, and can stop reading as a stalled journald does.
type standInJournald struct {
	path   string
	mu     sync.Mutex
	msgs   []string
	paused chan struct{} // non-nil: the reader waits until it is closed
}

func listenJournald(t *testing.T, path string) *standInJournald {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	j := &standInJournald{path: path}
	done := make(chan struct{})
	t.Cleanup(func() { j.resume(); conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1<<20)
		for {
			j.mu.Lock()
			paused := j.paused
			j.mu.Unlock()
			if paused != nil {
				<-paused
			}
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msg := ""
			for _, line := range bytes.Split(buf[:n], []byte{'\n'}) {
				if m, ok := bytes.CutPrefix(line, []byte("MESSAGE=")); ok {
					msg = string(m)
					break
				}
			}
			j.mu.Lock()
			j.msgs = append(j.msgs, msg)
			j.mu.Unlock()
		}
	}()
	return j
}

func (j *standInJournald) pause() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.paused == nil {
		j.paused = make(chan struct{})
	}
}

func (j *standInJournald) resume() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.paused != nil {
		close(j.paused)
		j.paused = nil
	}
}

// count is how many messages received so far contain sub.
func (j *standInJournald) count(sub string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, m := range j.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// A journald that stops reading must not stop the master: its loop goes on
// (SIGTTIN starts a worker, which the master logs), WATCHDOG=1 keeps coming,
// and once journald reads again one warning says how many records it lost.
func TestMasterOutlivesStalledJournald(t *testing.T) {
	j := listenJournald(t, filepath.Join(t.TempDir(), "journal.sock"))
	m := startMaster(t, opts{journal: j.path, watchdog: 2 * time.Second,
		env: []string{"RESYNC_WORKERS=1", "RESYNC_ACCESS_LOG=on"}})
	m.waitReady(false)
	m.waitWorkers(1, 10*time.Second)
	waitUntil(t, 10*time.Second, "the master's records at the stand-in journald", func() bool {
		return j.count("resync ready") == 1
	})

	j.pause()
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

	j.resume()
	waitUntil(t, 20*time.Second, "the dropped-records warning", func() bool {
		return j.count("records dropped") > 0
	})
	get(t, m.url("/api/v1/health/live"))
	waitUntil(t, 10*time.Second, "records flowing again", func() bool {
		return j.count("GET /api/v1/health/live") > 0
	})
	if n := j.count("records dropped"); n != 1 {
		t.Errorf("%d dropped-records warnings, want 1", n)
	}
	if n := j.count("resync ready"); n != 1 {
		t.Errorf("%d \"resync ready\" records, want 1", n)
	}
}
