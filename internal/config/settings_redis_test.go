package config

import (
	"strings"
	"testing"
	"time"
)

func TestRedisDefaults(t *testing.T) {
	if got := Default().Redis; got != redisDefaults {
		t.Errorf("Default().Redis = %+v, want %+v", got, redisDefaults)
	}
}

var redisDefaults = RedisConfig{
	PoolMin: 5, PoolMax: 20,
	DialTimeout: time.Second, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
	LimitDefault: Rate{N: 100, Per: time.Minute}, LimitAuth: Rate{N: 5, Per: time.Minute}, LimitFail: "open",
	SessionTTL: 8 * time.Hour,
}

func init() {
	hash := "$2b$12$" + strings.Repeat("a", 53)
	areaValueTests = append(areaValueTests, []valueTest{
		{"RESYNC_REDIS_URL", "", "", ""},
		{"RESYNC_REDIS_URL", "redis://:pw@10.0.0.5:6379/0", "redis://:pw@10.0.0.5:6379/0", ""},
		{"RESYNC_REDIS_URL", "unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock", ""},
		{"RESYNC_REDIS_URL", "redis+sentinel://a:26379,b:26379/mymaster", "redis+sentinel://a:26379,b:26379/mymaster", ""},
		{"RESYNC_REDIS_URL", "embedded", "embedded", ""},
		{"RESYNC_REDIS_URL", "10.0.0.5:6379", "", "must be embedded or start with one of redis://"},
		{"RESYNC_REDIS_REQUIRED", "yes", "true", ""},
		{"RESYNC_REDIS_REQUIRED", "maybe", "", "must be true or false"},
		{"RESYNC_REDIS_POOL_MIN_SIZE", "0", "0", ""},
		{"RESYNC_REDIS_POOL_MIN_SIZE", "-1", "", "must be a whole number"},
		{"RESYNC_REDIS_POOL_MAX_SIZE", "50", "50", ""},
		{"RESYNC_REDIS_POOL_MAX_SIZE", "0", "", "must be a positive integer"},
		{"RESYNC_REDIS_DIAL_TIMEOUT", "2", "2s", ""},
		{"RESYNC_REDIS_READ_TIMEOUT", "150ms", "150ms", ""},
		{"RESYNC_REDIS_READ_TIMEOUT", "0", "", "must be > 0"},
		{"RESYNC_REDIS_WRITE_TIMEOUT", "1s", "1s", ""},

		{"RESYNC_RATE_LIMIT_DEFAULT", "100/1m", "100/1m", ""},
		{"RESYNC_RATE_LIMIT_DEFAULT", "1000/3600", "1000/1h", ""},
		{"RESYNC_RATE_LIMIT_DEFAULT", "10/90s", "10/90s", ""},
		{"RESYNC_RATE_LIMIT_DEFAULT", "0/1m", "0/1m", ""},
		{"RESYNC_RATE_LIMIT_DEFAULT", "100", "", "must be COUNT/PERIOD"},
		{"RESYNC_RATE_LIMIT_DEFAULT", "x/1m", "", "count must be a whole number"},
		{"RESYNC_RATE_LIMIT_DEFAULT", "5/500ms", "", "period must be whole seconds"},
		{"RESYNC_RATE_LIMIT_DEFAULT", "1000000/1s", "1000000/1s", ""},
		{"RESYNC_RATE_LIMIT_DEFAULT", "1000000000/1h", "1000000000/1h", ""},
		{"RESYNC_RATE_LIMIT_DEFAULT", "1000001/1s", "", "more than 1000000 per 1s (one each 1µs) is faster than the limiter counts"},
		{"RESYNC_RATE_LIMIT_DEFAULT", "1000000000/1m", "", "use at most 60000000/1m, or 0/1m for no limit"},
		{"RESYNC_RATE_LIMIT_AUTH", "1000000000/1s", "", "more than 1000000 per 1s"},
		{"RESYNC_RATE_LIMIT_AUTH", "5/1m", "5/1m", ""},
		{"RESYNC_RATE_LIMIT_AUTH", "5/0", "", "period must be > 0"},
		{"RESYNC_RATE_LIMIT_FAIL", "closed", "closed", ""},
		{"RESYNC_RATE_LIMIT_FAIL", "shut", "", "must be one of open, closed"},

		{"RESYNC_ADMIN_USER", "admin", "admin", ""},
		{"RESYNC_ADMIN_USER", "a b", "", "must not contain whitespace"},
		{"RESYNC_ADMIN_PASSWORD_HASH", hash, hash, ""},
		{"RESYNC_ADMIN_PASSWORD_HASH", "hunter2", "", "must be a bcrypt hash"},
		{"RESYNC_SESSION_TTL", "30m", "1800s", ""},
	}...)
}

// Which configurations get the embedded store, and which production refuses.
func TestEmbeddedRedis(t *testing.T) {
	for _, tc := range []struct {
		mode, url        string
		embedded, refuse bool
	}{
		{"development", "", true, false},
		{"development", "embedded", true, false},
		{"development", "redis://127.0.0.1:6379/0", false, false},
		{"production", "", false, true},
		{"production", "embedded", true, false},
		{"production", "redis://127.0.0.1:6379/0", false, false},
	} {
		c := Default()
		c.Mode, c.Redis.URL = tc.mode, tc.url
		err := c.SharedStateError()
		if c.EmbeddedRedis() != tc.embedded || (err != nil) != tc.refuse {
			t.Errorf("%s %q: embedded %v, refusal %v", tc.mode, tc.url, c.EmbeddedRedis(), err)
		}
		if err != nil && !strings.Contains(err.Error(), "RESYNC_REDIS_URL") {
			t.Errorf("the refusal does not name the setting: %v", err)
		}
	}
}

// TestRateTooFast: a rate the limiter cannot count (1000000000/1s, which
// redis_rate's script would never refuse) is refused where it is written, so
// `resync check` and a reload name the line instead of the limit silently
// not holding.
func TestRateTooFast(t *testing.T) {
	path := writeFile(t, "RESYNC_MODE=production\nRESYNC_RATE_LIMIT_DEFAULT=1000000000/1s\n")
	_, err := Load([]string{"RESYNC_ENV_FILE=" + path})
	got := errorStrings(t, err)
	want := path + `:2: RESYNC_RATE_LIMIT_DEFAULT="1000000000/1s": more than 1000000 per 1s`
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.Contains(got[0], "0/1m for no limit") {
		t.Errorf("errors %q, want one starting %q", got, want)
	}
}
