package redisclient

import (
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/resync/resync/internal/config"
)

// New returns the client for cfg.URL; it does not dial (go-redis connects
// on first use and keeps MinIdleConns open from then on). Close it on exit.
func New(cfg config.RedisConfig) (redis.UniversalClient, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("create redis client: RESYNC_REDIS_URL is empty")
	}
	p, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	switch p.kind {
	case sentinel:
		o := p.failover
		tune(cfg, knobs{&o.PoolSize, &o.MinIdleConns, &o.PipelinePoolSize, &o.MaxRetries, &o.DialerRetries,
			&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.ContextTimeoutEnabled, &o.DisableIdentity})
		return redis.NewFailoverClient(o), nil
	case cluster:
		// A cluster redirect (MOVED/ASK) is not a retry of a failed command:
		// the first node refused it, so it counted nothing. go-redis keeps those.
		o := p.cluster
		tune(cfg, knobs{&o.PoolSize, &o.MinIdleConns, &o.PipelinePoolSize, &o.MaxRetries, &o.DialerRetries,
			&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.ContextTimeoutEnabled, &o.DisableIdentity})
		return redis.NewClusterClient(o), nil
	default:
		o := p.simple
		tune(cfg, knobs{&o.PoolSize, &o.MinIdleConns, &o.PipelinePoolSize, &o.MaxRetries, &o.DialerRetries,
			&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.ContextTimeoutEnabled, &o.DisableIdentity})
		return redis.NewClient(o), nil
	}
}

// knobs points at the fields every kind of go-redis options has, so that
// tune sets them in one place whatever the URL said.
type knobs struct {
	poolSize, minIdle, pipelinePool, retries, dialRetries *int
	dial, read, write, poolTimeout                        *time.Duration
	contextTimeout, noIdentity                            *bool
}

func tune(cfg config.RedisConfig, k knobs) {
	*k.poolSize = cfg.PoolMax
	*k.minIdle = min(cfg.PoolMin, cfg.PoolMax)
	*k.pipelinePool = -1 // pipelines share the main pool: workers × max stays the total
	*k.retries = -1      // -1 is go-redis for none; 0 means its default, 3
	// One dial attempt: its default, 5 with 100 ms pauses, holds each
	// request half a second when Redis refuses connections.
	*k.dialRetries = 1
	*k.dial, *k.read, *k.write = cfg.DialTimeout, cfg.ReadTimeout, cfg.WriteTimeout
	// Waiting for a free connection is part of the request's wait too.
	*k.poolTimeout = cfg.ReadTimeout + cfg.WriteTimeout
	*k.contextTimeout = true // a request's deadline stops its command
	*k.noIdentity = true     // no CLIENT SETINFO round trip on each new connection
}

// probeTimeout bounds one readiness probe: a frozen Redis must not hold the
// load balancer's health check.
const probeTimeout = time.Second
