package redisclient

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// kind is which go-redis client a URL asks for.
type kind int

const (
	single   kind = iota // redis://, rediss://, unix://
	sentinel             // redis+sentinel://, rediss+sentinel://
	cluster              // redis+cluster://, rediss+cluster://
)

// parsed is RESYNC_REDIS_URL read into go-redis options; exactly one is set.
type parsed struct {
	kind     kind
	simple   *redis.Options
	failover *redis.FailoverOptions
	cluster  *redis.ClusterOptions
}

// parseURL reads the documented forms:
//
//	redis://[user:pass@]host:6379[/db]          one server
//	rediss://[user:pass@]host:6380[/db]         one server over TLS
//	unix://[user:pass@]/run/redis/redis.sock[?db=N]
//	redis+sentinel://[user:pass@]h1:26379,h2:26379/mymaster[/db]
//	redis+cluster://[user:pass@]h1:6379,h2:6379
//
// (rediss+sentinel and rediss+cluster for TLS). The userinfo is the data
// servers' credentials, never the sentinels'. Query parameters are
// go-redis's own (snake_case option names, e.g. ?client_name=resync); the
// RESYNC_REDIS_* settings win over them for the pool and the timeouts.
//
// go-redis parses the single-server forms itself; for Sentinel and Cluster it
// takes extra addresses as repeated ?addr= parameters, which are awkward to
// write, so the comma list is rewritten into that form and handed to its
// parsers: one parser of Redis URLs, theirs.
func parseURL(raw string) (parsed, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return parsed{}, fmt.Errorf("parse redis url: no scheme")
	}
	base, mode, _ := strings.Cut(scheme, "+")
	if base != "redis" && base != "rediss" && !(base == "unix" && mode == "") {
		return parsed{}, fmt.Errorf("parse redis url: unknown scheme %q", scheme)
	}
	switch mode {
	case "":
		o, err := redis.ParseURL(raw)
		if err != nil {
			return parsed{}, fmt.Errorf("parse redis url: %w", redactErr(err, raw))
		}
		return parsed{kind: single, simple: o}, nil
	case "sentinel", "cluster":
	default:
		return parsed{}, fmt.Errorf("parse redis url: unknown scheme %q", scheme)
	}

	authority, path, _ := strings.Cut(rest, "/")
	path, query, _ := strings.Cut(path, "?")
	if q, hasQ := strings.CutPrefix(rest, authority+"?"); hasQ { // no path: host?query
		path, query = "", q
	}
	userinfo := ""
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, authority = authority[:i+1], authority[i+1:]
	}
	hosts := strings.Split(authority, ",")
	if hosts[0] == "" {
		return parsed{}, fmt.Errorf("parse redis url: no host")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return parsed{}, fmt.Errorf("parse redis url: query: %w", err)
	}
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}

	if mode == "cluster" {
		if path != "" {
			return parsed{}, fmt.Errorf("parse redis url: a cluster URL has no path (Cluster has database 0 only)")
		}
		u := base + "://" + userinfo + hosts[0] + "?" + q.Encode()
		o, err := redis.ParseClusterURL(u)
		if err != nil {
			return parsed{}, fmt.Errorf("parse redis url: %w", redactErr(err, u))
		}
		return parsed{kind: cluster, cluster: o}, nil
	}

	master, db, _ := strings.Cut(path, "/")
	if master == "" {
		return parsed{}, fmt.Errorf("parse redis url: a sentinel URL names its master: redis+sentinel://h1:26379,h2:26379/mymaster")
	}
	q.Set("master_name", master)
	if db != "" {
		q.Set("db", db)
	}
	o, err := redis.ParseFailoverURL(base + "://" + hosts[0] + "?" + q.Encode())
	if err != nil {
		return parsed{}, fmt.Errorf("parse redis url: %w", err) // no credentials in this URL
	}
	if userinfo != "" {
		u, err := url.Parse("redis://" + userinfo + "x")
		if err != nil {
			return parsed{}, fmt.Errorf("parse redis url: credentials do not parse")
		}
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	return parsed{kind: sentinel, failover: o}, nil
}

// redactErr keeps a password out of an error message: url.Parse quotes the
// whole URL in its errors.
func redactErr(err error, raw string) error {
	return errors.New(strings.ReplaceAll(err.Error(), raw, Redacted(raw)))
}

// Redacted is a URL fit for a log line: its password replaced by xxxxx.
func Redacted(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, tail, hasTail := strings.Cut(rest, "/")
	i := strings.LastIndex(authority, "@")
	if i < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(authority[:i], ":")
	if hasPass {
		authority = user + ":xxxxx" + authority[i:]
	}
	out := scheme + "://" + authority
	if hasTail {
		out += "/" + tail
	}
	return out
}
