package feed

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/resync/resync/internal/httpapi"
)

// SSE serves the feed as Server-Sent Events. Each event's SSE id is its
// stream id; a client reconnecting with Last-Event-ID (or ?last_event_id=,
// for a first connection) gets what it missed from the stream, then the live
// feed. An id older than the stream's oldest gets an "event: reset" first,
// then every retained entry.
type SSE struct {
	Hub       *Hub
	Stream    *Stream
	Buffer    int           // per client; DefaultBuffer when 0
	Heartbeat time.Duration // comment line to keep proxies from timing out; 15 s when 0
	Log       *slog.Logger
}

const (
	writeWait   = 10 * time.Second // a client that cannot take one write in this long is gone
	replayPage  = 500
	retryMillis = 1000 // EventSource's reconnect delay
)

func (s *SSE) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !httpapi.Unbounded(w) {
		return
	}
	sub, _, err := s.Hub.Subscribe(s.Buffer, 0)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"detail":"worker draining; reconnect"}`, http.StatusServiceUnavailable)
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	out := bufio.NewWriter(w)
	send := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeWait))
		return out.Flush() == nil && rc.Flush() == nil
	}
	out.WriteString("retry: " + strconv.Itoa(retryMillis) + "\n\n")
	if !send() {
		return
	}

	ctx := r.Context()
	select { // see Hub.Seeded: replaying before it could leave a gap
	case <-s.Hub.Seeded():
	case <-sub.Done():
		return
	case <-ctx.Done():
		return
	}
	lastSent := ""
	if from := lastEventID(r); from != "" {
		var ok bool
		if lastSent, ok = s.replay(ctx, out, from); !ok || !send() {
			return
		}
	}
	beat := time.NewTicker(orDefault(s.Heartbeat, 15*time.Second))
	defer beat.Stop()
	for {
		select {
		case e := <-sub.C:
			if lastSent != "" && !idLess(lastSent, e.ID) {
				continue // already replayed
			}
			writeEvent(out, *e)
			for more := len(sub.C); more > 0; more-- { // what is queued goes in one write
				writeEvent(out, *<-sub.C)
			}
			if !send() {
				return
			}
		case <-beat.C:
			out.WriteString(": ping\n\n")
			if !send() {
				return
			}
		case <-sub.Done():
			// Overflow or drain: the client reconnects with its Last-Event-ID
			// (to a serving worker) and misses nothing the stream retains.
			return
		case <-ctx.Done():
			return
		}
	}
}

// replay writes what the stream holds after from and returns the last id
// written (from itself when nothing was).
func (s *SSE) replay(ctx context.Context, out *bufio.Writer, from string) (string, bool) {
	first, err := s.Stream.First(ctx)
	if err != nil {
		s.Log.Warn("event stream: resume", "error", err)
		return "", false
	}
	after := from
	if _, valid := parseID(from); !valid || (first != "" && idLess(from, first)) {
		reason := "expired"
		if !valid {
			reason = "invalid"
		}
		b, _ := json.Marshal(map[string]string{"reason": reason, "last_event_id": from, "oldest_id": first})
		out.WriteString("event: reset\ndata: ")
		out.Write(b)
		out.WriteString("\n\n")
		after = "0-0"
	}
	last := from
	for {
		page, err := s.Stream.After(ctx, after, replayPage)
		if err != nil {
			s.Log.Warn("event stream: resume", "error", err)
			return "", false
		}
		for _, e := range page {
			writeEvent(out, e)
			last, after = e.ID, e.ID
		}
		if len(page) < replayPage {
			return last, true
		}
	}
}

func writeEvent(out *bufio.Writer, e Entry) {
	out.WriteString("id: ")
	out.WriteString(e.ID)
	out.WriteString("\ndata: ")
	out.Write(e.Data) // JSON from encoding/json: one line
	out.WriteString("\n\n")
}

func lastEventID(r *http.Request) string {
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return r.URL.Query().Get("last_event_id")
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
