package doctor

import (
	"fmt"
	"time"

	"github.com/resync/resync/internal/control"
)

// A profile is one row of the guide's load profiles.
type profile struct {
	name, traffic, advice string
}

var profiles = []profile{
	{"low", "< 1000 req/day", "2 workers, RESYNC_TIMEOUT=60s, 512 MB"},
	{"medium", "1000-10000 req/day", "5 workers, RESYNC_TIMEOUT=120s, 2 GB"},
	{"high", "> 10000 req/day", "9+ workers, RESYNC_TIMEOUT=120s, 4 GB+, several hosts behind a load balancer"},
}

// minUptime is how long a master must have run before its rate means much.
const minUptime = time.Hour

// Profile names the guide's load profile for the traffic the master has
// served since it started, as one line.
func Profile(s *control.Snapshot, statusErr error, now time.Time) string {
	if s == nil {
		return fmt.Sprintf("load profile: unknown (no running master: %v)", statusErr)
	}
	up := now.Sub(s.Started)
	if up <= 0 {
		return "load profile: unknown (master start time is in the future)"
	}
	perDay := float64(s.Requests) / up.Hours() * 24
	p := pick(perDay)
	line := fmt.Sprintf("load profile: %s (%s): %.0f requests/day from %d requests in %s; the guide suggests %s",
		p.name, p.traffic, perDay, s.Requests, up.Round(time.Second), p.advice)
	if up < minUptime {
		line += "; measured over less than an hour, so only a rough guess"
	}
	return line
}

// pick applies the guide's bounds: low below 1000 a day, medium up to and
// including 10000, high above.
func pick(perDay float64) profile {
	switch {
	case perDay < 1000:
		return profiles[0]
	case perDay <= 10000:
		return profiles[1]
	default:
		return profiles[2]
	}
}
