package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RedisConfig holds the shared-state settings: the Redis connection
// (RESYNC_REDIS_*), the rate limits kept there (RESYNC_RATE_LIMIT_*) and the
// admin sessions kept there (RESYNC_ADMIN_USER, RESYNC_SESSION_*).
type RedisConfig struct {
	URL          string        // RESYNC_REDIS_URL; "" or "embedded" = the master's embedded store (see Embedded)
	Required     bool          // RESYNC_REDIS_REQUIRED: an outage makes /health/ready 503
	PoolMin      int           // RESYNC_REDIS_POOL_MIN_SIZE: idle connections kept per worker
	PoolMax      int           // RESYNC_REDIS_POOL_MAX_SIZE: connections at most per worker
	DialTimeout  time.Duration // RESYNC_REDIS_DIAL_TIMEOUT
	ReadTimeout  time.Duration // RESYNC_REDIS_READ_TIMEOUT
	WriteTimeout time.Duration // RESYNC_REDIS_WRITE_TIMEOUT

	LimitDefault Rate   // RESYNC_RATE_LIMIT_DEFAULT
	LimitAuth    Rate   // RESYNC_RATE_LIMIT_AUTH
	LimitFail    string // RESYNC_RATE_LIMIT_FAIL: open | closed

	AdminUser         string        // RESYNC_ADMIN_USER
	AdminPasswordHash string        // RESYNC_ADMIN_PASSWORD_HASH: bcrypt
	SessionTTL        time.Duration // RESYNC_SESSION_TTL: idle time before a session expires
}

// Rate is a limit: at most N requests per Per, e.g. 100/1m. N = 0 turns the
// limit off.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string { return strconv.Itoa(r.N) + "/" + formatRatePeriod(r.Per) }

// formatRatePeriod prints 1m, 1h, 30s — the unit a person would write.
func formatRatePeriod(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return formatDuration(d)
}

// MinRateInterval is the shortest time between two requests a rate may
// allow (PERIOD/COUNT). redis_rate's GCRA script keeps a budget as a
// theoretical arrival time in seconds since 2017 in a Lua double, whose
// resolution is 2^-24 s (60 ns) from 2025 and 2^-23 s from 2034: an interval
// shorter than half of it is lost when added (the request is allowed and
// nothing is stored), and one near it is rounded, up to twice as strict. At
// 1 µs the rounding is a few percent at worst and averages out.
const MinRateInterval = time.Microsecond

func rate(field func(*Config) *Rate) codec {
	return codec{
		set: func(c *Config, v string) error {
			n, per, ok := strings.Cut(v, "/")
			if !ok {
				return errors.New("must be COUNT/PERIOD, e.g. 100/1m (0/1m = no limit)")
			}
			count, err := parseInt(n, 0, 1_000_000_000)
			if err != nil {
				return fmt.Errorf("count %w", err)
			}
			d, err := parseDuration(per)
			if err != nil {
				return fmt.Errorf("period %w", err)
			}
			if d < time.Second || d%time.Second != 0 {
				return errors.New("period must be whole seconds (1s or more)")
			}
			if most := int(d / MinRateInterval); count > most {
				return fmt.Errorf("more than %d per %s (one each %v) is faster than the limiter counts: "+
					"Redis keeps each budget as a time in floating-point seconds, about 0.06 µs precise, so "+
					"a faster rate is rounded or not counted at all (1000000000/1s never refuses and stores "+
					"no key); use at most %d/%s, or 0/1m for no limit",
					most, formatRatePeriod(d), MinRateInterval, most, formatRatePeriod(d))
			}
			*field(c) = Rate{N: count, Per: d}
			return nil
		},
		get: func(c *Config) string { return field(c).String() },
	}
}

// redisURLSchemes are the forms RESYNC_REDIS_URL takes (see redisclient).
var redisURLSchemes = []string{"redis://", "rediss://", "unix://",
	"redis+sentinel://", "rediss+sentinel://", "redis+cluster://", "rediss+cluster://"}

// EmbeddedRedis is the RESYNC_REDIS_URL value that asks for the master's
// embedded store in any mode — production's explicit opt-in for one host.
const EmbeddedRedis = "embedded"

// EmbeddedRedis says whether the workers use the master's embedded store
// (internal/embedredis): RESYNC_REDIS_URL=embedded, or empty in development.
func (c Config) EmbeddedRedis() bool {
	return c.Redis.URL == EmbeddedRedis || (c.Redis.URL == "" && c.Mode != "production")
}

// SharedStateError refuses production mode without a Redis: its rate limits,
// locks and sessions must hold across hosts and restarts. Start and reload
// refuse it; resync check and resync doctor report it.
func (c Config) SharedStateError() error {
	if c.Mode != "production" || c.Redis.URL != "" {
		return nil
	}
	return errors.New("RESYNC_REDIS_URL is empty, and RESYNC_MODE=production needs a Redis shared by every worker " +
		"and host for the rate limits, locks and sessions: set RESYNC_REDIS_URL=redis://127.0.0.1:6379/0 " +
		"(apt install redis-server), or RESYNC_REDIS_URL=embedded to keep them in this one host's master, in memory")
}

func checkRedisURL(v string) error {
	if v == "" || v == EmbeddedRedis {
		return nil
	}
	for _, s := range redisURLSchemes {
		if strings.HasPrefix(v, s) {
			return nil
		}
	}
	return fmt.Errorf("must be %s or start with one of %s", EmbeddedRedis, strings.Join(redisURLSchemes, ", "))
}

func checkBcrypt(v string) error {
	if v == "" {
		return nil
	}
	// $2a$, $2b$ or $2y$, a two-digit cost, then 53 characters of salt and hash.
	if len(v) != 60 || v[0] != '$' || v[1] != '2' || v[3] != '$' || v[6] != '$' {
		return errors.New("must be a bcrypt hash ($2b$12$…, 60 characters), e.g. from: htpasswd -nbBC 12 '' PASSWORD | cut -c2-")
	}
	return nil
}

func init() {
	redis := func(c *Config) *RedisConfig { return &c.Redis }
	settings = append(settings, []setting{
		{key: "RESYNC_REDIS_URL", def: "", group: "Redis", secret: true,
			doc: "shared state for every worker and host: redis://[user:pass@]host:6379/0, rediss:// (TLS), unix:///run/redis/redis.sock, " +
				"redis+sentinel://host1:26379,host2:26379/mymaster, redis+cluster://host1:6379,host2:6379; " +
				"empty = in development, an embedded store in the master (one host, in memory, not for production; production refuses to start); " +
				"embedded = that store in any mode. With apt's redis-server: redis://127.0.0.1:6379/0",
			codec: text(func(c *Config) *string { return &redis(c).URL }, checkRedisURL)},
		{key: "RESYNC_REDIS_REQUIRED", def: "false", group: "Redis",
			doc:   "true: a Redis outage makes /api/v1/health/ready 503; false: readiness shows it degraded and stays 200",
			codec: boolean(func(c *Config) *bool { return &redis(c).Required }, "true", "false")},
		{key: "RESYNC_REDIS_POOL_MIN_SIZE", def: "5", group: "Redis",
			doc:   "idle Redis connections kept per worker (the guide's REDIS_POOL_MIN_SIZE)",
			codec: integer(func(c *Config) *int { return &redis(c).PoolMin }, 0, 10000)},
		{key: "RESYNC_REDIS_POOL_MAX_SIZE", def: "20", group: "Redis",
			doc:   "Redis connections at most per worker (the guide's REDIS_POOL_MAX_SIZE); a host opens up to workers × this",
			codec: integer(func(c *Config) *int { return &redis(c).PoolMax }, 1, 10000)},
		{key: "RESYNC_REDIS_DIAL_TIMEOUT", def: "1s", group: "Redis",
			doc:   "connecting to Redis gives up after this",
			codec: duration(func(c *Config) *time.Duration { return &redis(c).DialTimeout })},
		{key: "RESYNC_REDIS_READ_TIMEOUT", def: "200ms", group: "Redis",
			doc:   "a Redis reply must arrive within this (bounds a request's wait when Redis stalls)",
			codec: duration(func(c *Config) *time.Duration { return &redis(c).ReadTimeout })},
		{key: "RESYNC_REDIS_WRITE_TIMEOUT", def: "200ms", group: "Redis",
			doc:   "a Redis command must be sent within this",
			codec: duration(func(c *Config) *time.Duration { return &redis(c).WriteTimeout })},

		{key: "RESYNC_RATE_LIMIT_DEFAULT", def: "100/1m", group: "Rate limiting",
			doc:   "requests per client and route for every /api/v1/ route but health: COUNT/PERIOD (0/1m = off)",
			codec: rate(func(c *Config) *Rate { return &redis(c).LimitDefault })},
		{key: "RESYNC_RATE_LIMIT_AUTH", def: "5/1m", group: "Rate limiting",
			doc:   "the same for the login routes (/api/v1/auth/)",
			codec: rate(func(c *Config) *Rate { return &redis(c).LimitAuth })},
		{key: "RESYNC_RATE_LIMIT_FAIL", def: "open", group: "Rate limiting",
			doc:   "when Redis fails: open (serve unlimited) or closed (answer 503)",
			codec: oneOf(func(c *Config) *string { return &redis(c).LimitFail }, "open", "closed")},

		{key: "RESYNC_ADMIN_USER", def: "", group: "Sessions",
			doc:   "admin user for POST /api/v1/auth/login (empty = no login)",
			codec: text(func(c *Config) *string { return &redis(c).AdminUser }, checkToken)},
		{key: "RESYNC_ADMIN_PASSWORD_HASH", def: "", group: "Sessions", secret: true,
			doc:   "bcrypt hash of the admin password, e.g. htpasswd -nbBC 12 '' PASSWORD | cut -c2-; shown masked",
			codec: text(func(c *Config) *string { return &redis(c).AdminPasswordHash }, checkBcrypt)},
		{key: "RESYNC_SESSION_TTL", def: "8h", group: "Sessions",
			doc:   "an admin session expires after this long unused (each use renews it)",
			codec: duration(func(c *Config) *time.Duration { return &redis(c).SessionTTL })},
	}...)
}
