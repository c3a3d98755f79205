//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// noDebugRoutes: the packaged binary is built without the testhooks tag, so
// the test-only /debug/* routes (slow requests, panics, memory, a route per
// role) do not exist in it: 404, and nothing done.
func noDebugRoutes(t *testing.T) {
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/debug/sleep?d=1s", "/debug/panic", "/debug/alloc?mb=64", "/debug/admin", "/debug/operator"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the packaged binary: %d %s, want 404", path, resp.StatusCode, body)
		}
	}
}
