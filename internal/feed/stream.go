package feed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stream is the Redis stream of events: what readers need of it.
type Stream struct {
	rdb redis.UniversalClient
	key string
}

// NewStream names the stream at key.
func NewStream(rdb redis.UniversalClient, key string) *Stream { return &Stream{rdb: rdb, key: key} }

// Key is the stream's key.
func (s *Stream) Key() string { return s.key }

// Read waits up to block for entries after id ("$" for new ones only).
// No entries within block is (nil, nil).
func (s *Stream) Read(ctx context.Context, after string, block time.Duration, count int64) ([]Entry, error) {
	res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key, after}, Block: block, Count: count}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", s.key, err)
	}
	var out []Entry
	for _, st := range res {
		out = append(out, entries(st.Messages)...)
	}
	return out, nil
}

// After returns up to count entries strictly after id (exclusive XRANGE).
func (s *Stream) After(ctx context.Context, id string, count int64) ([]Entry, error) {
	msgs, err := s.rdb.XRangeN(ctx, s.key, "("+id, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("range stream %s after %s: %w", s.key, id, err)
	}
	return entries(msgs), nil
}

// First returns the oldest retained id, "" when the stream is empty.
func (s *Stream) First(ctx context.Context) (string, error) {
	msgs, err := s.rdb.XRangeN(ctx, s.key, "-", "+", 1).Result()
	if err != nil {
		return "", fmt.Errorf("range stream %s: %w", s.key, err)
	}
	if len(msgs) == 0 {
		return "", nil
	}
	return msgs[0].ID, nil
}

// Last returns the newest count entries, oldest first.
func (s *Stream) Last(ctx context.Context, count int64) ([]Entry, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.key, "+", "-", count).Result()
	if err != nil {
		return nil, fmt.Errorf("read the tail of stream %s: %w", s.key, err)
	}
	out := entries(msgs)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Since returns the entries from start on (by stream id time), at most count.
func (s *Stream) Since(ctx context.Context, start time.Time, count int64) ([]Entry, error) {
	msgs, err := s.rdb.XRangeN(ctx, s.key, fmt.Sprint(start.UnixMilli()), "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("range stream %s: %w", s.key, err)
	}
	return entries(msgs), nil
}

func entries(msgs []redis.XMessage) []Entry {
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		data, _ := m.Values[Field].(string)
		out = append(out, newEntry(m.ID, []byte(data)))
	}
	return out
}

// Newest calls yield with entries from the newest back to since (by stream
// id time), a page at a time, until yield returns false.
func (s *Stream) Newest(ctx context.Context, since time.Time, page int64, yield func(Entry) bool) error {
	end, floor := "+", fmt.Sprint(since.UnixMilli())
	for {
		msgs, err := s.rdb.XRevRangeN(ctx, s.key, end, floor, page).Result()
		if err != nil {
			return fmt.Errorf("range stream %s: %w", s.key, err)
		}
		for _, e := range entries(msgs) {
			if !yield(e) {
				return nil
			}
		}
		if int64(len(msgs)) < page {
			return nil
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
}
