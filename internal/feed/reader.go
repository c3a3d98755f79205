package feed

import (
	"context"
	"log/slog"
	"time"
)

// DefaultBlock is how long one XREAD waits. Set explicitly: go-redis's zero
// Block means forever, and a reader must notice its context ending.
const DefaultBlock = 5 * time.Second

// Follow is the process's one reader: it seeds the hub with the stream's
// tail, then follows the stream with XREAD BLOCK and publishes every entry,
// until ctx ends. Redis errors are logged and retried after a second.
func Follow(ctx context.Context, s *Stream, h *Hub, block time.Duration, log *slog.Logger) {
	if block <= 0 {
		block = DefaultBlock
	}
	last := ""
	for last == "" {
		tail, err := s.Last(ctx, RecentSize)
		if err == nil {
			h.Seed(tail)
			last = "0-0" // an empty stream: everything added from now on is new
			if len(tail) > 0 {
				last = tail[len(tail)-1].ID
			}
			break
		}
		if !pause(ctx, log, err) {
			return
		}
	}
	for ctx.Err() == nil {
		got, err := s.Read(ctx, last, block, 1000)
		if err != nil {
			if !pause(ctx, log, err) {
				return
			}
			continue
		}
		if len(got) > 0 {
			last = got[len(got)-1].ID
			h.Publish(got...)
		}
	}
}

func pause(ctx context.Context, log *slog.Logger, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	log.Warn("event feed: redis", "error", err)
	select {
	case <-ctx.Done():
		return false
	case <-time.After(time.Second):
		return true
	}
}
