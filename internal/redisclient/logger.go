package redisclient

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own messages (one per failed dial, among
// others) to log at debug level: under an outage they would come once per
// request. The users of the client report outages once per incident.
func SetLogger(log *slog.Logger) { redis.SetLogger(slogAdapter{log}) }

type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Printf(ctx context.Context, format string, v ...any) {
	a.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
