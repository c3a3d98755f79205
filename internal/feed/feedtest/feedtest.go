// Package feedtest holds the test clients of the monitoring feeds — an SSE
// reader and a WebSocket client speaking the original's JSON messages — for
// the unit tests of internal/feed and internal/monitoring and the
// integration tests on the real binary. It does not import internal/feed,
// so that package's own tests can use it.
package feedtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Event is one Server-Sent Event.
type Event struct{ ID, Event, Data string }

// SSE reads events from one SSE response.
type SSE struct {
	r    *bufio.Reader
	Resp *http.Response
}

// OpenSSE GETs url as an event stream, resuming after lastID when set; the
// answer must be 200 text/event-stream.
func OpenSSE(t testing.TB, url, lastID string) *SSE {
	t.Helper()
	s, err := DialSSE(url, lastID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Resp.Body.Close() })
	return s
}

// DialSSE is OpenSSE returning its error (a client that reconnects).
func DialSSE(url, lastID string) (*SSE, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		return nil, fmt.Errorf("open event stream: status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &SSE{r: bufio.NewReader(resp.Body), Resp: resp}, nil
}

// Next returns the next event (retry and comment lines skipped); io.EOF
// when the server ended the stream.
func (c *SSE) Next() (Event, error) {
	var ev Event
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.Data != "" {
				return ev, nil
			}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = line[6:]
		}
	}
}

// MustWait bounds Must: an event that never comes fails the test instead of
// hanging it to the package timeout.
const MustWait = 10 * time.Second

// Must is Next, failing the test on an error or after MustWait. On a
// timeout it closes the response, so the stream cannot be read further.
func (c *SSE) Must(t testing.TB) Event {
	t.Helper()
	type result struct {
		ev  Event
		err error
	}
	got := make(chan result, 1)
	go func() {
		ev, err := c.Next()
		got <- result{ev, err}
	}()
	timer := time.NewTimer(MustWait)
	defer timer.Stop()
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("read event: %v", r.err)
		}
		return r.ev
	case <-timer.C:
		c.Resp.Body.Close()
		t.Fatalf("no event in %s", MustWait)
		return Event{}
	}
}

// WS is a WebSocket client of the original's JSON messages.
type WS struct {
	t testing.TB
	C *websocket.Conn
}

// DialWS connects to url (http:// or ws://); closed at the test's end.
func DialWS(t testing.TB, url string) *WS {
	t.Helper()
	c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.SetReadLimit(16 << 20) // recent_events of a big plan
	t.Cleanup(func() { c.CloseNow() })
	return &WS{t: t, C: c}
}

// Read returns the next message, failing the test after timeout.
func (w *WS) Read(timeout time.Duration) map[string]any {
	w.t.Helper()
	m, err := w.TryRead(timeout)
	if err != nil {
		w.t.Fatalf("ws read: %v", err)
	}
	return m
}

// TryRead returns the next message or why there is none.
func (w *WS) TryRead(timeout time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, b, err := w.C.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not JSON: %s", b)
	}
	return m, nil
}

// Write sends one text message.
func (w *WS) Write(s string) {
	w.t.Helper()
	if err := w.C.Write(context.Background(), websocket.MessageText, []byte(s)); err != nil {
		w.t.Fatal(err)
	}
}

// Eventually waits for cond, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
