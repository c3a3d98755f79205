//go:build !testhooks

package monitoring

import "time"

func testInterval(d time.Duration) time.Duration { return d }
