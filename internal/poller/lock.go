package poller

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// lock is the poller's election: SET NX PX, and a fencing token from INCR of
// a counter, in one script. Its value is "holder token", so renew and release
// touch the lock only while it is still ours.
//
// Hand-written for now: bsm/redislock and redsync issue no fencing token
// (../shared/NOTES.md), and the project's internal/lock had not landed when
// this was written; it is the same SET NX PX + INCR scheme.
type lock struct {
	rdb         redis.UniversalClient
	key, tokens string
	holder      string
	ttl         time.Duration
}

var (
	acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. t, 'PX', ARGV[2])
  return t
end
return 0`)
	renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
)

// acquire returns a token > 0 when this process now holds the lock, 0 when
// another does.
func (l *lock) acquire(ctx context.Context) (int64, error) {
	t, err := acquireScript.Run(ctx, l.rdb, []string{l.key, l.tokens}, l.holder, l.ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("acquire poller lock: %w", err)
	}
	return t, nil
}

func (l *lock) value(token int64) string { return l.holder + " " + strconv.FormatInt(token, 10) }

// renew extends the lock; false when it is no longer ours.
func (l *lock) renew(ctx context.Context, token int64) (bool, error) {
	n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.value(token), l.ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("renew poller lock: %w", err)
	}
	return n == 1, nil
}

func (l *lock) release(ctx context.Context, token int64) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{l.key}, l.value(token)).Err(); err != nil {
		return fmt.Errorf("release poller lock: %w", err)
	}
	return nil
}

// Holder returns who holds the lock ("holder token"), "" when nobody.
func Holder(ctx context.Context, rdb redis.UniversalClient, keys Keys) (string, error) {
	v, err := rdb.Get(ctx, keys.Lock).Result()
	if err == redis.Nil {
		return "", nil
	}
	return v, err
}
