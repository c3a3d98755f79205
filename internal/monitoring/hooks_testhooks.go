//go:build testhooks

package monitoring

import (
	"os"
	"time"
)

// testInterval lets the integration tests poll faster than the settings'
// 5 s floor (TESTHOOK_TWS_POLL_INTERVAL=500ms), so that a take-over test
// fits in seconds. Only in binaries built with -tags testhooks.
func testInterval(d time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv("TESTHOOK_TWS_POLL_INTERVAL")); err == nil && v > 0 {
		return v
	}
	return d
}
