package poller

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrFenced: a newer holder has written; this one must stop.
var ErrFenced = errors.New("poller: fenced off by a newer holder")

// Meta hash fields where the fence counts its verdicts for /metrics
// (resync_tws_fenced_writes_total): a refused write is a deposed poller's
// late one, which the operator should see was stopped.
const (
	MetaFencedAccepted = "fenced_writes_accepted"
	MetaFencedRefused  = "fenced_writes_refused"
)

// fence is the prologue of every write: KEYS[1] is the fence key, the last
// KEYS the meta hash, ARGV[1] the writer's token. An older token is refused;
// a newer one raises the fence. The verdict is counted in the meta hash —
// the refusal too: an error reply keeps what the script wrote before it,
// and a refused writer writes nothing else.
const fence = `
local seen = tonumber(redis.call('GET', KEYS[1]) or '0')
local token = tonumber(ARGV[1])
if token < seen then
  redis.call('HINCRBY', KEYS[#KEYS], '` + MetaFencedRefused + `', 1)
  return redis.error_reply('FENCED token ' .. ARGV[1] .. ' < ' .. seen)
end
if token > seen then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('HINCRBY', KEYS[#KEYS], '` + MetaFencedAccepted + `', 1)
`

var (
	// claim: KEYS fence, meta. The new holder raises the fence before it
	// reads anything.
	claimScript = redis.NewScript(fence + `return 1`)
	// begin: KEYS fence, pending, written, meta; ARGV token, snapshot.
	beginScript = redis.NewScript(fence + `
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], 0)
return 1`)
	// appendEvents: KEYS fence, stream, written, meta; ARGV token, maxlen, event…
	appendScript = redis.NewScript(fence + `
local last = ''
for i = 3, #ARGV do
  last = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[i])
end
redis.call('INCRBY', KEYS[3], #ARGV - 2)
return last`)
	// commit: KEYS fence, pending, written, current, meta; ARGV token,
	// then meta field/value pairs set, then "+" and field/increment pairs.
	commitScript = redis.NewScript(fence + `
local snap = redis.call('GET', KEYS[2])
if snap then redis.call('SET', KEYS[4], snap) end
redis.call('DEL', KEYS[2], KEYS[3])
local meta = KEYS[5]` + writeMeta)
	// note: KEYS fence, meta; like commit's meta part, without the snapshot.
	noteScript = redis.NewScript(fence + `
local meta = KEYS[2]` + writeMeta)
)

// writeMeta is the epilogue of commit and note: ARGV[2..] are field/value
// pairs to set in the hash meta, then "+", then field/increment pairs.
const writeMeta = `
local i = 2
while i <= #ARGV and ARGV[i] ~= '+' do
  redis.call('HSET', meta, ARGV[i], ARGV[i+1]); i = i + 2
end
i = i + 1
while i <= #ARGV do
  redis.call('HINCRBY', meta, ARGV[i], ARGV[i+1]); i = i + 2
end
return 1`

// store is the poller's fenced view of Redis.
type store struct {
	rdb       redis.UniversalClient
	keys      Keys
	retention int64
}

func fenced(err error) error {
	if err != nil && strings.Contains(err.Error(), "FENCED") {
		return fmt.Errorf("%w: %v", ErrFenced, err)
	}
	return err
}

func (s *store) claim(ctx context.Context, token int64) error {
	return fenced(claimScript.Run(ctx, s.rdb, []string{s.keys.Fence, s.keys.Meta}, token).Err())
}

func (s *store) begin(ctx context.Context, token int64, snap []byte) error {
	return fenced(beginScript.Run(ctx, s.rdb, []string{s.keys.Fence, s.keys.Pending, s.keys.Written, s.keys.Meta}, token, snap).Err())
}

func (s *store) append(ctx context.Context, token int64, evs [][]byte) error {
	args := make([]any, 0, len(evs)+2)
	args = append(args, token, s.retention)
	for _, e := range evs {
		args = append(args, e)
	}
	return fenced(appendScript.Run(ctx, s.rdb, []string{s.keys.Fence, s.keys.Stream, s.keys.Written, s.keys.Meta}, args...).Err())
}

func (s *store) commit(ctx context.Context, token int64, set map[string]any, incr map[string]int64) error {
	keys := []string{s.keys.Fence, s.keys.Pending, s.keys.Written, s.keys.Current, s.keys.Meta}
	return fenced(commitScript.Run(ctx, s.rdb, keys, metaArgs(token, set, incr)...).Err())
}

func (s *store) note(ctx context.Context, token int64, set map[string]any, incr map[string]int64) error {
	return fenced(noteScript.Run(ctx, s.rdb, []string{s.keys.Fence, s.keys.Meta}, metaArgs(token, set, incr)...).Err())
}

func metaArgs(token int64, set map[string]any, incr map[string]int64) []any {
	args := []any{token}
	for k, v := range set {
		args = append(args, k, v)
	}
	args = append(args, "+")
	for k, v := range incr {
		args = append(args, k, v)
	}
	return args
}

// pending returns the pending snapshot and how many of its events are
// appended; nil when no poll is half written.
func (s *store) pending(ctx context.Context) ([]byte, int, error) {
	vals, err := s.rdb.MGet(ctx, s.keys.Pending, s.keys.Written).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("read pending poll: %w", err)
	}
	snap, ok := vals[0].(string)
	if !ok {
		return nil, 0, nil
	}
	n, _ := strconv.Atoi(fmt.Sprint(vals[1]))
	return []byte(snap), n, nil
}

// current returns the last committed snapshot, nil before the first.
func (s *store) current(ctx context.Context) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.keys.Current).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	return b, nil
}
