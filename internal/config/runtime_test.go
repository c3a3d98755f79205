package config

import (
	"runtime"
	"testing"
)

// Workers share the CPUs out: together they bring as many Ps as there are
// CPUs, never fewer, and each at least one.
func TestWorkerProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, c := range []struct{ workers, want int }{
		{0, 4}, {1, 4}, {2, 2}, {3, 2}, {4, 1}, {5, 1}, {9, 1},
	} {
		if got := WorkerProcs(c.workers); got != c.want {
			t.Errorf("WorkerProcs(%d) on 4 CPUs = %d, want %d", c.workers, got, c.want)
		}
	}
}
