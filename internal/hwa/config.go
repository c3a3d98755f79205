package hwa

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is how to reach the engine. Zero durations and counts take the
// defaults below.
type Config struct {
	URL                string // https://host:31116 (the /twsd/api/v2 base is added)
	User               string
	Password           string
	CAFile             string // PEM bundle added to the system roots
	InsecureSkipVerify bool   // no TLS verification: for a lab only
	ConnectTimeout     time.Duration
	RequestTimeout     time.Duration // per attempt
	Retries            int           // extra attempts of a GET; <0 = none
	PageSize           int           // limit per page when following pages
	BreakerFailures    int           // consecutive failures that open the breaker
	BreakerOpen        time.Duration // how long it stays open before one trial
	// Observe, if set, is told of every attempt sent upstream: the path,
	// the status (0 without an answer) and how long it took.
	Observe func(path string, status int, took time.Duration)
}

// Defaults.
const (
	DefaultConnectTimeout  = 5 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultRetries         = 2
	DefaultPageSize        = 1000
	DefaultBreakerFailures = 5
	DefaultBreakerOpen     = 30 * time.Second
	maxRetryWait           = 10 * time.Second
	maxBody                = 256 << 20
)

func (c Config) withDefaults() Config {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.BreakerFailures <= 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerOpen <= 0 {
		c.BreakerOpen = DefaultBreakerOpen
	}
	return c
}

// baseURL is the API base, https://host:port/twsd/api/v2/, from a URL given
// with or without that path. User info in the URL is refused: credentials go
// in User and Password, so that no URL printed anywhere carries them.
func baseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("parse HWA URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("parse HWA URL: want http(s)://host:port, got %q", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("parse HWA URL: credentials in the URL are not allowed (use the user and password settings)")
	}
	p := strings.TrimSuffix(u.Path, "/")
	p = strings.TrimSuffix(p, "/twsd/api/v2")
	u.Path = p + "/twsd/api/v2/"
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// CredentialName is the systemd credential resync reads the HWA password
// from: `LoadCredential=tws-password:/etc/resync/tws-password` in a drop-in
// makes it $CREDENTIALS_DIRECTORY/tws-password.
const CredentialName = "tws-password"

// Password returns the HWA password: the systemd credential when the unit
// passes one (readable only by the service, never in the environment), else
// fallback (RESYNC_TWS_PASSWORD). The second result names where it came from.
func Password(fallback string) (string, string, error) {
	dir := os.Getenv("CREDENTIALS_DIRECTORY")
	if dir != "" {
		p := filepath.Join(dir, CredentialName)
		b, err := os.ReadFile(p)
		if err == nil {
			return strings.TrimRight(string(b), "\r\n"), "credential " + CredentialName, nil
		}
		if !os.IsNotExist(err) {
			return "", "", fmt.Errorf("read credential %s: %w", CredentialName, err)
		}
	}
	if fallback != "" {
		return fallback, "RESYNC_TWS_PASSWORD", nil
	}
	return "", "none", nil
}
