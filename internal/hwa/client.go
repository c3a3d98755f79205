package hwa

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/resync/resync/internal/lazy"
)

// Client reads the engine. It is safe for concurrent use; make one per
// process and keep it (its transport pools the keep-alive connections).
type Client struct {
	cfg  Config
	base *url.URL
	// http is built on the first request: reading the CA bundle and setting
	// up TLS is a boot cost a worker that never asks the engine need not pay.
	http    *lazy.Value[*http.Client]
	breaker *gobreaker.CircuitBreaker[*response]

	mu       sync.Mutex
	openedAt time.Time
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// New checks cfg and returns a client; nothing is dialled or read yet.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	base, err := baseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, base: base}
	c.http = lazy.New("hwa_client_tls", c.buildHTTP)
	c.breaker = gobreaker.NewCircuitBreaker[*response](gobreaker.Settings{
		Name:        "hwa",
		MaxRequests: 1,
		Timeout:     cfg.BreakerOpen,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= uint32(cfg.BreakerFailures) },
		// Only the engine being down or slow counts against it: a 404, a bad
		// filter or refused credentials are answers.
		IsSuccessful: func(err error) bool {
			k := ErrorKind(err)
			return err == nil || k != KindUnavailable && k != KindTimeout && k != KindUpstream
		},
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				c.mu.Lock()
				c.openedAt = time.Now()
				c.mu.Unlock()
			}
		},
	})
	return c, nil
}

// Warm builds the HTTP client (its TLS set-up) now instead of on the first
// request.
func (c *Client) Warm() error {
	_, err := c.http.Get()
	return err
}

// BreakerState is the circuit breaker's state: closed, half-open or open.
func (c *Client) BreakerState() string { return c.breaker.State().String() }

// Base is the API base URL (no credentials in it).
func (c *Client) Base() string { return c.base.String() }

func (c *Client) buildHTTP() (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.cfg.InsecureSkipVerify} //nolint:gosec // opt-in, warned about
	if c.cfg.CAFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(c.cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read CA file %s: no PEM certificate in it", c.cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: c.cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   c.cfg.ConnectTimeout,
		ResponseHeaderTimeout: c.cfg.RequestTimeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   32, // one engine: keep its connections
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr}, nil
}

// get asks path (relative to the API base) with query q, retrying as the
// retry policy allows, and returns the 200 answer.
func (c *Client) get(ctx context.Context, path string, q url.Values, accept string) (*response, error) {
	for attempt := 0; ; attempt++ {
		res, err := c.breaker.Execute(func() (*response, error) { return c.once(ctx, path, q, accept) })
		if err == nil {
			return res, nil
		}
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return nil, &Error{Kind: KindUnavailable, Path: path, Detail: "circuit breaker open: the engine failed repeatedly",
				RetryAfter: c.untilHalfOpen(), Err: err}
		}
		if attempt >= c.cfg.Retries || !retryable(err) {
			return nil, err
		}
		if !sleep(ctx, c.backoff(attempt, err)) {
			return nil, err
		}
	}
}

func (c *Client) untilHalfOpen() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := time.Until(c.openedAt.Add(c.cfg.BreakerOpen))
	if d < time.Second {
		d = time.Second
	}
	return d
}

// retryable: the engine was unreachable, overloaded or failing; a timeout is
// not retried (it already cost a whole request timeout).
func retryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindUnavailable
}

// backoff is full jitter over an exponential step (100ms, 200ms, 400ms …),
// or the engine's Retry-After when it gave one; both capped.
func (c *Client) backoff(attempt int, err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return min(e.RetryAfter, maxRetryWait)
	}
	step := 100 * time.Millisecond << attempt
	return min(time.Duration(rand.Int64N(int64(step)))+step/2, maxRetryWait)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// once is one attempt.
func (c *Client) once(ctx context.Context, path string, q url.Values, accept string) (*response, error) {
	hc, err := c.http.Get()
	if err != nil {
		return nil, &Error{Kind: KindUpstream, Path: path, Detail: "set up the HTTP client: " + err.Error(), Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Kind: KindUpstream, Path: path, Detail: "build the request", Err: err}
	}
	req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	req.Header.Set("Accept", accept)
	req.Header.Set("Include-Count", "true")
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		c.observe(path, 0, start)
		return nil, transportError(ctx, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.observe(path, resp.StatusCode, start)
	if err != nil {
		return nil, transportError(ctx, path, err)
	}
	if resp.StatusCode == http.StatusOK {
		return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
	}
	return nil, statusError(path, resp, body)
}

func (c *Client) observe(path string, status int, start time.Time) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(path, status, time.Since(start))
	}
}

// transportError classifies a failure without an answer. The *url.Error's
// text has the URL, which has no credentials (they are never in it), but it
// is not needed: the path is enough.
func transportError(ctx context.Context, path string, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() || ctx.Err() != nil {
		return &Error{Kind: KindTimeout, Path: path, Detail: "no answer in time", Err: err}
	}
	detail := "cannot reach the engine"
	var oe *net.OpError
	if errors.As(err, &oe) {
		detail += ": " + oe.Op + " " + oe.Err.Error()
	}
	return &Error{Kind: KindUnavailable, Path: path, Detail: detail, Err: err}
}

func statusError(path string, resp *http.Response, body []byte) error {
	e := &Error{Path: path, Status: resp.StatusCode}
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Kind, e.Detail = KindAuth, "the engine refused resync's credentials (check RESYNC_TWS_USER and its password)"
	case code == http.StatusNotFound:
		e.Kind, e.Detail = KindNotFound, "not found"
	case code == http.StatusBadRequest:
		e.Kind, e.Detail = KindBadRequest, "the engine rejected the request: "+snippet(body)
	case code == http.StatusTooManyRequests || code >= 500:
		e.Kind, e.Detail = KindUnavailable, "the engine is failing or overloaded"
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	default:
		e.Kind, e.Detail = KindUpstream, "unexpected answer"
	}
	return e
}

// snippet is the start of an error body, one line, for a 400's reason
// (OQL_FILTER_SYNTAX_ERROR and its message).
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = ' '
		}
		out = append(out, c)
	}
	return string(out)
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// getJSON asks path and decodes its JSON answer into v.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	res, err := c.get(ctx, path, q, "application/json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(res.body, v); err != nil {
		return &Error{Kind: KindMalformed, Path: path, Status: res.status, Detail: "malformed answer: " + err.Error(), Err: err}
	}
	return nil
}
