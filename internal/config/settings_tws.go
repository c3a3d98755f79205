package config

import (
	"errors"
	"net/url"
	"time"
)

// TWSConfig holds the HWA (TWS) settings: how to reach the engine, and the
// cache of what it answered (RESYNC_TWS_*, RESYNC_CACHE_*, RESYNC_EXECUTOR_SIZE).
type TWSConfig struct {
	URL                string        // RESYNC_TWS_URL: https://host:31116; empty = none
	User               string        // RESYNC_TWS_USER
	Password           string        // RESYNC_TWS_PASSWORD (or the tws-password systemd credential)
	CAFile             string        // RESYNC_TWS_CA_FILE
	InsecureSkipVerify bool          // RESYNC_TWS_INSECURE_SKIP_VERIFY
	ConnectTimeout     time.Duration // RESYNC_TWS_CONNECT_TIMEOUT
	RequestTimeout     time.Duration // RESYNC_TWS_REQUEST_TIMEOUT
	Retries            int           // RESYNC_TWS_RETRIES
	StaleMax           time.Duration // RESYNC_TWS_STALE_MAX
	ExecutorSize       int           // RESYNC_EXECUTOR_SIZE
	Cache              CacheConfig
}

// CacheConfig is the cache of engine answers: tier 1 bounds and TTLs per data class.
type CacheConfig struct {
	MaxItems     int           // RESYNC_CACHE_MAX_ITEMS
	MaxMB        int           // RESYNC_CACHE_MAX_MB
	TTLJobStatus time.Duration // RESYNC_CACHE_TTL_JOB_STATUS
	TTLJobLog    time.Duration // RESYNC_CACHE_TTL_JOB_LOG
	TTLModel     time.Duration // RESYNC_CACHE_TTL_MODEL
	TTLGraph     time.Duration // RESYNC_CACHE_TTL_GRAPH
	TTLDefault   time.Duration // RESYNC_CACHE_TTL_DEFAULT
}

func init() {
	settings = append(settings, []setting{
		{key: "RESYNC_TWS_URL", def: "", group: "HWA",
			doc:   "the engine: https://host:31116 (empty: none; in development the built-in simulator)",
			codec: text(func(c *Config) *string { return &c.TWS.URL }, checkTWSURL)},
		{key: "RESYNC_TWS_USER", def: "", group: "HWA",
			doc:   "user for the engine's Basic auth",
			codec: text(func(c *Config) *string { return &c.TWS.User }, nil)},
		{key: "RESYNC_TWS_PASSWORD", def: "", group: "HWA", secret: true,
			doc:   "its password; better: the systemd credential tws-password (LoadCredential=), which wins; shown masked",
			codec: text(func(c *Config) *string { return &c.TWS.Password }, nil)},
		{key: "RESYNC_TWS_CA_FILE", def: "", group: "HWA",
			doc:   "PEM CA bundle trusted for the engine's certificate, besides the system's; absolute path",
			codec: text(func(c *Config) *string { return &c.TWS.CAFile }, optionalAbsPath)},
		{key: "RESYNC_TWS_INSECURE_SKIP_VERIFY", def: "false", group: "HWA",
			doc:   "do not verify the engine's certificate (true/false): a lab only, warned about",
			codec: boolean(func(c *Config) *bool { return &c.TWS.InsecureSkipVerify }, "true", "false")},
		{key: "RESYNC_TWS_CONNECT_TIMEOUT", def: "5s", group: "HWA",
			doc:   "connecting to the engine (TCP and TLS) must take less than this",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.ConnectTimeout })},
		{key: "RESYNC_TWS_REQUEST_TIMEOUT", def: "30s", group: "HWA",
			doc:   "one request to the engine must be answered within this (else 504)",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.RequestTimeout })},
		{key: "RESYNC_TWS_RETRIES", def: "2", group: "HWA",
			doc:   "extra attempts of a read the engine failed (backoff with jitter, Retry-After honoured)",
			codec: integer(func(c *Config) *int { return &c.TWS.Retries }, 0, 10)},
		{key: "RESYNC_TWS_STALE_MAX", def: "600s", group: "HWA",
			doc:   "when the engine fails, serve cached data up to this long past its TTL, saying so",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.StaleMax })},
		{key: "RESYNC_EXECUTOR_SIZE", def: "4", group: "HWA",
			doc:   "CPU-heavy work (status summary, dependency graph, big pages) at once per worker; more gets 503",
			codec: integer(func(c *Config) *int { return &c.TWS.ExecutorSize }, 1, 1024)},

		{key: "RESYNC_CACHE_MAX_ITEMS", def: "1000", group: "Cache",
			doc:   "entries in each worker's memory cache",
			codec: integer(func(c *Config) *int { return &c.TWS.Cache.MaxItems }, 1, maxInt)},
		{key: "RESYNC_CACHE_MAX_MB", def: "100", group: "Cache",
			doc:   "megabytes each worker's memory cache may hold (its real byte size)",
			codec: integer(func(c *Config) *int { return &c.TWS.Cache.MaxMB }, 1, 1<<20)},
		{key: "RESYNC_CACHE_TTL_JOB_STATUS", def: "10s", group: "Cache",
			doc:   "how long job and workstation status is served from the cache",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.Cache.TTLJobStatus })},
		{key: "RESYNC_CACHE_TTL_JOB_LOG", def: "30s", group: "Cache",
			doc:   "how long a job log is served from the cache",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.Cache.TTLJobLog })},
		{key: "RESYNC_CACHE_TTL_MODEL", def: "3600s", group: "Cache",
			doc:   "how long static data (engine info, definitions) is served from the cache",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.Cache.TTLModel })},
		{key: "RESYNC_CACHE_TTL_GRAPH", def: "300s", group: "Cache",
			doc:   "how long a dependency graph (predecessors, successors) is served from the cache",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.Cache.TTLGraph })},
		{key: "RESYNC_CACHE_TTL_DEFAULT", def: "60s", group: "Cache",
			doc:   "how long anything else is served from the cache",
			codec: duration(func(c *Config) *time.Duration { return &c.TWS.Cache.TTLDefault })},
	}...)
}

// checkTWSURL wants http(s)://host[:port] without credentials in it: they
// belong in RESYNC_TWS_USER and the password, so that no URL that is logged
// or printed carries them.
func checkTWSURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("must be https://host:port (or http:// for the simulator)")
	}
	if u.User != nil {
		return errors.New("must not contain credentials: use RESYNC_TWS_USER and RESYNC_TWS_PASSWORD")
	}
	return nil
}
