package config

import "time"

// setting is one row of the settings table. Everything that lists settings
// (Load, Environ, Write, Template, `resync check`) walks this table, so adding
// a setting is adding one row here.
type setting struct {
	key   string
	def   string // default, as written in an env file ("" = empty)
	group string // heading in the template
	doc   string // one line, shown by Write and Template
	codec
	secret  bool // masked by Write and in errors
	envOnly bool // meaningless inside the env file itself
}

// codec parses a value into a Config (validating it) and formats it back so
// that set(get(c)) reproduces c.
type codec struct {
	set func(c *Config, v string) error
	get func(c *Config) string
	// note, when set, adds what a symbolic value resolved to (Write only).
	note func(c *Config) string
}

// DefaultEnvFile is read when RESYNC_ENV_FILE is not set; unlike a file named
// explicitly, it may be missing (like EnvironmentFile=-/etc/resync/env).
const DefaultEnvFile = "/etc/resync/env"

var settings = []setting{
	{key: "RESYNC_MODE", def: "development", group: "Core",
		doc:   "development or production",
		codec: oneOf(func(c *Config) *string { return &c.Mode }, "development", "production")},
	{key: "RESYNC_BIND", def: "127.0.0.1:8000", group: "Core",
		doc:   "listen address when not socket-activated: host:port, [v6]:port, :port or unix:/abs/path",
		codec: text(func(c *Config) *string { return &c.Bind }, checkBind)},
	{key: "RESYNC_WORKERS", def: "auto", group: "Core",
		doc:   "worker processes: auto (one per CPU, at least 2) or a count; each gets GOMAXPROCS = CPUs / workers",
		codec: workersCodec},
	{key: "RESYNC_TIMEOUT", def: "120s", group: "Core",
		doc:   "a request running longer gets 503; a worker silent this long is killed (seconds, or 90s, 2m)",
		codec: duration(func(c *Config) *time.Duration { return &c.Timeout })},
	{key: "RESYNC_GRACEFUL_TIMEOUT", def: "30s", group: "Core",
		doc:   "how long stopping workers may finish in-flight requests",
		codec: duration(func(c *Config) *time.Duration { return &c.GracefulTimeout })},
	{key: "RESYNC_KEEPALIVE", def: "5s", group: "Core",
		doc:   "idle keep-alive connections are closed after this",
		codec: duration(func(c *Config) *time.Duration { return &c.Keepalive })},
	{key: "RESYNC_HEADER_TIMEOUT", def: "10s", group: "Core",
		doc:   "a client must send its request headers within this, then its body within as long again (slow-client guard)",
		codec: duration(func(c *Config) *time.Duration { return &c.HeaderTimeout })},
	{key: "RESYNC_MAX_REQUESTS", def: "1000000", group: "Core",
		doc:   "recycle a worker after this many requests (0 = never); the guide's 10000 is for Python workers",
		codec: integer(func(c *Config) *int { return &c.MaxRequests }, 0, maxInt)},
	{key: "RESYNC_MAX_REQUESTS_JITTER", def: "100000", group: "Core",
		doc:   "add up to this many to each worker's limit so they do not all recycle at once",
		codec: integer(func(c *Config) *int { return &c.MaxRequestsJitter }, 0, maxInt)},
	{key: "RESYNC_ENV_FILE", def: DefaultEnvFile, group: "Core", envOnly: true,
		doc:   "env file read over the environment (empty = none)",
		codec: text(func(c *Config) *string { return &c.EnvFile }, nil)},
	{key: "RESYNC_RUNTIME_DIR", def: "", group: "Core",
		doc:   "control socket directory (empty = $RUNTIME_DIRECTORY, /run/resync as root, else $XDG_RUNTIME_DIR/resync)",
		codec: text(func(c *Config) *string { return &c.RuntimeDir }, optionalAbsPath)},

	{key: "RESYNC_LOG_LEVEL", def: "info", group: "Logging",
		doc:   "debug, info, warn or error",
		codec: oneOf(func(c *Config) *string { return &c.Log.Level }, "debug", "info", "warn", "error")},
	{key: "RESYNC_LOG_FORMAT", def: "text", group: "Logging",
		doc:   "text or json",
		codec: oneOf(func(c *Config) *string { return &c.Log.Format }, "text", "json")},
	{key: "RESYNC_ACCESS_LOG", def: "on", group: "Logging",
		doc:   "log one line per request (on/off)",
		codec: boolean(func(c *Config) *bool { return &c.Log.Access }, "on", "off")},
	{key: "RESYNC_LOG_FILE", def: "", group: "Logging",
		doc:   "also log to this file, rotated; absolute path (empty = none)",
		codec: text(func(c *Config) *string { return &c.Log.File }, optionalAbsPath)},
	{key: "RESYNC_ACCESS_LOG_FILE", def: "", group: "Logging",
		doc:   "write the access log to this file alone (not journald), rotated; absolute path (empty = none)",
		codec: text(func(c *Config) *string { return &c.Log.AccessFile }, optionalAbsPath)},
	{key: "RESYNC_LOG_MAX_SIZE_MB", def: "100", group: "Logging",
		doc:   "rotate a log file when it reaches this many megabytes",
		codec: integer(func(c *Config) *int { return &c.Log.MaxSizeMB }, 1, maxInt)},
	{key: "RESYNC_LOG_MAX_BACKUPS", def: "10", group: "Logging",
		doc:   "rotated log files to keep (0 = keep all)",
		codec: integer(func(c *Config) *int { return &c.Log.MaxBackups }, 0, maxInt)},
	{key: "RESYNC_LOG_MAX_AGE_DAYS", def: "30", group: "Logging",
		doc:   "delete rotated log files older than this (0 = never by age)",
		codec: integer(func(c *Config) *int { return &c.Log.MaxAgeDays }, 0, maxInt)},
	{key: "RESYNC_LOG_COMPRESS", def: "true", group: "Logging",
		doc:   "gzip rotated log files (true/false)",
		codec: boolean(func(c *Config) *bool { return &c.Log.Compress }, "true", "false")},
	{key: "RESYNC_TRUSTED_PROXIES", def: "", group: "Logging",
		doc:   "proxies whose X-Forwarded-For is believed: IPs or CIDRs, comma/space separated",
		codec: proxiesCodec},

	{key: "RESYNC_METRICS", def: "on", group: "Metrics",
		doc:   "serve the metrics endpoints (on/off)",
		codec: boolean(func(c *Config) *bool { return &c.Metrics.Enabled }, "on", "off")},
	{key: "RESYNC_ADMIN_TOKEN", def: "", group: "Metrics", secret: true,
		doc:   "token the admin endpoints require (empty = none set); shown masked",
		codec: text(func(c *Config) *string { return &c.Metrics.AdminToken }, checkToken)},
	{key: "RESYNC_WORKER_MAX_RSS_MB", def: "0", group: "Metrics",
		doc:   "recycle a worker whose resident memory exceeds this (0 = off)",
		codec: integer(func(c *Config) *int { return &c.Metrics.WorkerMaxRSSMB }, 0, maxInt)},
}

// lookupSetting finds a row by key.
func lookupSetting(key string) (*setting, bool) {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i], true
		}
	}
	return nil, false
}
