package integration

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// Workers share the CPUs out (GOMAXPROCS = CPUs ÷ workers, rounded up), so
// that together they bring as many Go threads as there are CPUs; a GOMAXPROCS
// the operator set wins.
func TestWorkersShareTheCPUs(t *testing.T) {
	cpus := runtime.NumCPU() // the master's GOMAXPROCS: it starts with no GOMAXPROCS set
	for _, c := range []struct {
		name string
		env  []string
		want int
	}{
		{"shared out", []string{"RESYNC_WORKERS=2"}, max(1, (cpus+1)/2)},
		{"operator's", []string{"RESYNC_WORKERS=2", "GOMAXPROCS=3"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := startMaster(t, opts{env: c.env})
			m.waitReady(false)
			for _, pid := range m.waitWorkers(2, 10*time.Second) {
				if got := environ(t, pid, "GOMAXPROCS"); got != strconv.Itoa(c.want) {
					t.Errorf("worker %d has GOMAXPROCS=%q, want %d", pid, got, c.want)
				}
			}
		})
	}
}

func environ(t *testing.T, pid int, key string) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte("=")); ok && string(k) == key {
			return string(v)
		}
	}
	return ""
}
