package logging

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/resync/resync/internal/config"
)

// A reload's logging settings take effect at once: level, files; a file that
// did not change stays open, one that went away is written no more. Loggers
// busy meanwhile lose nothing and race nothing.
func TestReconfigure(t *testing.T) {
	dir := t.TempDir()
	stderr, err := os.CreateTemp(dir, "stderr")
	must(t, err)
	t.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "info"}, stderr)
	must(t, err)
	defer m.Close()
	log := m.Logger()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					log.Info("busy")
				}
			}
		}()
	}

	log.Debug("hidden at info")
	path := filepath.Join(dir, "resync.log")
	withFile := config.LogConfig{Level: "debug", File: path, MaxSizeMB: 10}
	must(t, m.Reconfigure(withFile))
	log.Debug("shown at debug")
	first := m.cur.Load().file
	must(t, m.Reconfigure(withFile))
	if m.cur.Load().file != first {
		t.Error("an unchanged log file was reopened on reload")
	}
	must(t, m.Reconfigure(config.LogConfig{Level: "warn"}))
	log.Warn("after the file went")
	close(stop)
	wg.Wait()

	file, out := readFile(t, path), readFile(t, stderr.Name())
	if strings.Contains(out, "hidden at info") || !strings.Contains(out, "shown at debug") {
		t.Errorf("level not applied:\n%.300s", out)
	}
	if !strings.Contains(file, "shown at debug") || strings.Contains(file, "after the file went") {
		t.Errorf("log file:\n%.300s", file)
	}
	for _, l := range strings.Split(strings.TrimSpace(file), "\n") {
		if !strings.Contains(l, " INFO busy") && !strings.Contains(l, "shown at debug") {
			t.Errorf("torn or foreign line in the file: %q", l)
		}
	}
	if err := m.Reconfigure(config.LogConfig{Level: "loud"}); err == nil {
		t.Error("a bad level was accepted")
	}
}
