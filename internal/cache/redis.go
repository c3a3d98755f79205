package cache

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is tier 2 on a go-redis client (a single node, Sentinel or Cluster:
// each key is used alone, so no hash tags are needed).
type Redis struct {
	c      redis.UniversalClient
	prefix string
}

// NewRedis returns tier 2 on c; keys are prefix+key (prefix such as "resync:cache:").
func NewRedis(c redis.UniversalClient, prefix string) *Redis { return &Redis{c: c, prefix: prefix} }

// An entry is stored as 8 bytes of fetch time (Unix ns), 8 of TTL (ns), then the value.
const entryHeader = 16

func encodeEntry(e *Entry) []byte {
	b := make([]byte, entryHeader+len(e.Value))
	binary.BigEndian.PutUint64(b[0:8], uint64(e.FetchedAt.UnixNano()))
	binary.BigEndian.PutUint64(b[8:16], uint64(e.TTL))
	copy(b[entryHeader:], e.Value)
	return b
}

func decodeEntry(b []byte) (*Entry, error) {
	if len(b) < entryHeader {
		return nil, errors.New("decode cache entry: too short")
	}
	return &Entry{
		FetchedAt: time.Unix(0, int64(binary.BigEndian.Uint64(b[0:8]))),
		TTL:       time.Duration(binary.BigEndian.Uint64(b[8:16])),
		Value:     b[entryHeader:],
	}, nil
}

// Get implements Shared.
func (r *Redis) Get(ctx context.Context, key string) (*Entry, bool, error) {
	b, err := r.c.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get cache entry: %w", err)
	}
	e, err := decodeEntry(b)
	return e, err == nil, err
}

// Set implements Shared.
func (r *Redis) Set(ctx context.Context, key string, e *Entry, keep time.Duration) error {
	if err := r.c.Set(ctx, r.prefix+key, encodeEntry(e), keep).Err(); err != nil {
		return fmt.Errorf("set cache entry: %w", err)
	}
	return nil
}

// unlockScript deletes the lock only if it still holds our token, so that a
// holder whose lock expired cannot free the next holder's.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// TryLock implements Shared: SET NX PX with a random token.
func (r *Redis) TryLock(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	t := make([]byte, 16)
	_, _ = rand.Read(t)
	token := hex.EncodeToString(t)
	lk := r.prefix + "fill:" + key
	ok, err := r.c.SetNX(ctx, lk, token, ttl).Result()
	if err != nil || !ok {
		return nil, false, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = unlockScript.Run(ctx, r.c, []string{lk}, token).Err()
	}, true, nil
}
