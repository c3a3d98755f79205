// Package config owns resync's settings: their names, defaults and validation,
// and the systemd EnvironmentFile syntax they are read from.
//
// Settings come from the process environment overlaid by the env file
// (RESYNC_ENV_FILE, default /etc/resync/env), read anew by Load on every
// start and reload: for a key set in both, the file wins. A key absent from
// the file takes the environment's value, else its default — so deleting a
// line and reloading restores the default. That holds only if the file is
// not also in the environment: the unit therefore has no EnvironmentFile= for
// it (systemd would keep the start-time values in the master's environment
// across every reload); its environment holds only Environment= lines, the
// unit's and drop-ins'.
package config

import "time"

// Config is the effective configuration. The master validates it and hands it to
// workers as environment variables (see Environ), so a worker never reads the file.
type Config struct {
	Mode              string // RESYNC_MODE: development | production
	Bind              string // RESYNC_BIND: host:port or unix:/path
	Workers           int    // RESYNC_WORKERS resolved to a count
	WorkersAuto       bool   // RESYNC_WORKERS was "auto"
	Timeout           time.Duration
	GracefulTimeout   time.Duration
	Keepalive         time.Duration
	HeaderTimeout     time.Duration // RESYNC_HEADER_TIMEOUT: slow-client guard
	MaxRequests       int
	MaxRequestsJitter int
	EnvFile           string
	RuntimeDir        string // RESYNC_RUNTIME_DIR: control socket lives here

	Log        LogConfig
	Metrics    MetricsConfig
	TWS        TWSConfig        // settings_tws.go
	Security   SecurityConfig   // settings_security.go
	Monitoring MonitoringConfig // settings_monitoring.go
	Redis      RedisConfig      // settings_redis.go
}

// LogConfig holds the logging settings (RESYNC_LOG_*, RESYNC_ACCESS_LOG*, RESYNC_TRUSTED_PROXIES).
type LogConfig struct {
	Level          string   // RESYNC_LOG_LEVEL: debug | info | warn | error
	Format         string   // RESYNC_LOG_FORMAT: text | json
	Access         bool     // RESYNC_ACCESS_LOG: on | off
	File           string   // RESYNC_LOG_FILE
	AccessFile     string   // RESYNC_ACCESS_LOG_FILE
	MaxSizeMB      int      // RESYNC_LOG_MAX_SIZE_MB
	MaxBackups     int      // RESYNC_LOG_MAX_BACKUPS
	MaxAgeDays     int      // RESYNC_LOG_MAX_AGE_DAYS
	Compress       bool     // RESYNC_LOG_COMPRESS
	TrustedProxies []string // RESYNC_TRUSTED_PROXIES: CIDR list, validated
}

// MetricsConfig holds the observability settings.
type MetricsConfig struct {
	Enabled        bool   // RESYNC_METRICS: on | off
	AdminToken     string // RESYNC_ADMIN_TOKEN
	WorkerMaxRSSMB int    // RESYNC_WORKER_MAX_RSS_MB, 0 = off
}
