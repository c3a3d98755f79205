// Package integration runs the real resync binary as operators do — started by
// hand or under systemd-socket-activate, signalled, loaded — and checks what
// an operator would see: responses, the notify messages systemd would get,
// the log, and the worker table of `resync status`.
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is resync built once for the whole run, with the test hooks
// (/debug/sleep, /debug/panic, TESTHOOK_BOOT_CRASH) and, under -race, the race
// detector, so the real processes are checked for races too.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "resync-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "resync")
	args := []string{"build", "-tags", "testhooks", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../../cmd/resync")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build resync:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
