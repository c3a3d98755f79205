package config

import "time"

// MonitoringConfig holds the live TWS monitoring settings: the one elected
// poller and the event stream the feeds follow.
type MonitoringConfig struct {
	PollInterval time.Duration // RESYNC_TWS_POLL_INTERVAL, clamped 5 s..300 s
	StuckAfter   time.Duration // RESYNC_TWS_STUCK_AFTER
	LockTTL      time.Duration // RESYNC_TWS_POLL_LOCK_TTL
	Retention    int           // RESYNC_EVENTS_RETENTION: events kept in the stream
}

func init() {
	settings = append(settings, []setting{
		{key: "RESYNC_TWS_POLL_INTERVAL", def: "30s", group: "Monitoring",
			doc:   "how often the elected poller snapshots the plan (clamped to 5s..300s)",
			codec: clampedDuration(func(c *Config) *time.Duration { return &c.Monitoring.PollInterval }, 5*time.Second, 300*time.Second)},
		{key: "RESYNC_TWS_STUCK_AFTER", def: "60m", group: "Monitoring",
			doc:   "a job running longer than this raises job_stuck",
			codec: duration(func(c *Config) *time.Duration { return &c.Monitoring.StuckAfter })},
		{key: "RESYNC_TWS_POLL_LOCK_TTL", def: "15s", group: "Monitoring",
			doc:   "the poller lock's TTL: a dead or paused poller is replaced within this plus one interval",
			codec: duration(func(c *Config) *time.Duration { return &c.Monitoring.LockTTL })},
		{key: "RESYNC_EVENTS_RETENTION", def: "10000", group: "Monitoring",
			doc:   "events kept in the Redis stream (MAXLEN ~); older ones are trimmed",
			codec: integer(func(c *Config) *int { return &c.Monitoring.Retention }, 100, 10_000_000)},
	}...)
}

// clampedDuration is a duration that, out of [lo, hi], is taken as the
// nearer bound (the original clamped its poll interval so) and says so.
func clampedDuration(field func(*Config) *time.Duration, lo, hi time.Duration) codec {
	c := duration(field)
	set := c.set
	c.set = func(cfg *Config, v string) error {
		if err := set(cfg, v); err != nil {
			return err
		}
		d := field(cfg)
		*d = min(max(*d, lo), hi)
		return nil
	}
	return c
}
