package loadclient

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client is a kind of load client.
type Client int

const (
	KeepAliveGET Client = iota
	FreshGET
	KeepAlivePOST
)

func (c Client) String() string {
	switch c {
	case KeepAliveGET:
		return "keep-alive GET"
	case FreshGET:
		return "fresh GET"
	case KeepAlivePOST:
		return "keep-alive POST"
	}
	return "client " + strconv.Itoa(int(c))
}

// conn is one raw connection and what it has carried.
type conn struct {
	nc       net.Conn
	br       *bufio.Reader
	answered int // complete answers read on this connection
}

func (c *conn) close() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

// roundTrip sends one request and reads its whole answer. It reports whether
// the answer asked to close the connection. Nothing is ever sent twice.
func (c *conn) roundTrip(ctx context.Context, o *Options, kind Client) (closeAfter bool, err error) {
	deadline := time.Now().Add(o.Timeout)
	if c.nc == nil {
		d := net.Dialer{Deadline: deadline}
		nc, err := d.DialContext(ctx, o.Network, o.Addr)
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(10 * time.Millisecond) // a refused dial is counted, not spun on
			}
			return false, &opError{op: "dial", err: err}
		}
		c.nc, c.br = nc, bufio.NewReader(nc)
	}
	nc := c.nc
	nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()

	req, method, path, want := request(o, kind)
	if _, err := io.WriteString(c.nc, req); err != nil {
		return false, &opError{op: "write", err: err}
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		return false, &opError{op: "read answer", err: err}
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, &opError{op: "read body", err: err}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return false, &opError{op: "read body", err: fmt.Errorf("%d of %d bytes: %w", n, resp.ContentLength, io.ErrUnexpectedEOF)}
	}
	c.answered++
	if want == 0 && resp.StatusCode < 500 || resp.StatusCode == want {
		return resp.Close, nil
	}
	return resp.Close, &statusError{method: method, path: path, got: resp.StatusCode, want: want}
}

// request builds the request's bytes.
func request(o *Options, kind Client) (req, method, path string, want int) {
	var b strings.Builder
	switch kind {
	case KeepAlivePOST:
		method, path, want = http.MethodPost, o.PostPath, o.PostStatus
		fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: resync-loadclient\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			path, o.Host, len(o.PostBody), o.PostBody)
	case FreshGET:
		method, path, want = http.MethodGet, o.GetPath, o.GetStatus
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: resync-loadclient\r\nConnection: close\r\n\r\n", path, o.Host)
	default:
		method, path, want = http.MethodGet, o.GetPath, o.GetStatus
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: resync-loadclient\r\n\r\n", path, o.Host)
	}
	return b.String(), method, path, want
}

func defaultBody() []byte {
	return []byte(`{"note":"` + strings.Repeat("x", 500) + `"}`)
}
