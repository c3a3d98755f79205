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
	t := tuning(cfg)
	switch p.kind {
	case sentinel:
		o := p.failover
		o.PoolSize, o.MinIdleConns, o.PipelinePoolSize = t.PoolSize, t.MinIdleConns, t.PipelinePoolSize
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = t.DialTimeout, t.ReadTimeout, t.WriteTimeout
		o.ContextTimeoutEnabled, o.MaxRetries, o.DisableIdentity = true, t.MaxRetries, true
		o.PoolTimeout, o.DialerRetries = t.PoolTimeout, t.DialerRetries
		return redis.NewFailoverClient(o), nil
	case cluster:
		o := p.cluster
		o.PoolSize, o.MinIdleConns, o.PipelinePoolSize = t.PoolSize, t.MinIdleConns, t.PipelinePoolSize
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = t.DialTimeout, t.ReadTimeout, t.WriteTimeout
		o.ContextTimeoutEnabled, o.MaxRetries, o.DisableIdentity = true, t.MaxRetries, true
		o.PoolTimeout, o.DialerRetries = t.PoolTimeout, t.DialerRetries
		// A cluster redirect (MOVED/ASK) is not a retry of a failed command:
		// the first node refused it, so it counted nothing. Keep go-redis's.
		return redis.NewClusterClient(o), nil
	default:
		o := p.simple
		o.PoolSize, o.MinIdleConns, o.PipelinePoolSize = t.PoolSize, t.MinIdleConns, t.PipelinePoolSize
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = t.DialTimeout, t.ReadTimeout, t.WriteTimeout
		o.ContextTimeoutEnabled, o.MaxRetries, o.DisableIdentity = true, t.MaxRetries, true
		o.PoolTimeout, o.DialerRetries = t.PoolTimeout, t.DialerRetries
		return redis.NewClient(o), nil
	}
}

// tuning is what resync sets on every kind of client, whatever the URL said.
func tuning(cfg config.RedisConfig) redis.Options {
	return redis.Options{
		PoolSize:         cfg.PoolMax,
		MinIdleConns:     min(cfg.PoolMin, cfg.PoolMax),
		PipelinePoolSize: -1, // pipelines share the main pool: workers × max stays the total
		DialTimeout:      cfg.DialTimeout,
		ReadTimeout:      cfg.ReadTimeout,
		WriteTimeout:     cfg.WriteTimeout,
		// Waiting for a free connection is part of the request's wait too.
		PoolTimeout: cfg.ReadTimeout + cfg.WriteTimeout,
		MaxRetries:  -1, // -1 is go-redis for none; 0 means its default, 3
		// One dial attempt: its default, 5 with 100 ms pauses, holds each
		// request half a second when Redis refuses connections.
		DialerRetries: 1,
	}
}

// probeTimeout bounds one readiness probe: a frozen Redis must not hold the
// load balancer's health check.
const probeTimeout = time.Second
