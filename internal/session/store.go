package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps sessions in Redis.
type Store struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// NewStore returns a Store whose sessions end after ttl unused.
func NewStore(rdb redis.UniversalClient, ttl time.Duration) *Store {
	return &Store{rdb: rdb, ttl: ttl}
}

func sessionKey(id string) string { return "session:" + id }
func userKey(user string) string  { return "sessions:user:" + user }

// Create starts a session for user and returns its id.
func (s *Store) Create(ctx context.Context, user string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	// Two keys in two slots under Cluster: two commands, not one script.
	pipe := s.rdb.Pipeline()
	pipe.Set(ctx, sessionKey(id), user, s.ttl)
	pipe.SAdd(ctx, userKey(user), id)
	pipe.Expire(ctx, userKey(user), s.ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// Read returns the session's user and renews its TTL; ok is false when
// there is no such session (never was, expired, ended).
func (s *Store) Read(ctx context.Context, id string) (user string, ok bool, err error) {
	if id == "" || len(id) > 64 {
		return "", false, nil
	}
	user, err = s.rdb.GetEx(ctx, sessionKey(id), s.ttl).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read session: %w", err)
	}
	// The user's index lives as long as their newest session.
	s.rdb.Expire(ctx, userKey(user), s.ttl)
	return user, true, nil
}

// Destroy ends one session.
func (s *Store) Destroy(ctx context.Context, id string) error {
	user, err := s.rdb.GetDel(ctx, sessionKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	return s.rdb.SRem(ctx, userKey(user), id).Err()
}

// DestroyAll ends every session of user.
func (s *Store) DestroyAll(ctx context.Context, user string) error {
	ids, err := s.rdb.SMembers(ctx, userKey(user)).Result()
	if err != nil {
		return fmt.Errorf("destroy sessions: %w", err)
	}
	pipe := s.rdb.Pipeline()
	for _, id := range ids {
		pipe.Del(ctx, sessionKey(id))
	}
	pipe.Del(ctx, userKey(user))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("destroy sessions: %w", err)
	}
	return nil
}
