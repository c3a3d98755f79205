package feed

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/coder/websocket"

	"github.com/resync/resync/internal/events"
	"github.com/resync/resync/internal/httpapi"
)

// WS serves the original Resync's WebSocket (/api/v1/monitoring/ws).
//
// On connect: {"type":"recent_events","events":[last 50],"timestamp"}, then
// {"type":"connected","client_id","config"}. Client messages: ping → pong;
// subscribe {"types":[all|jobs|ws|system|critical]} → subscribed; get_status
// → {"type":"status","snapshot"}; anything not JSON → {"type":"error",
// "message":"Invalid JSON"}. Pushed: {"type":"event","event":{…}}.
// "critical" picks events of severity error or critical (an ABEND is error).
type WS struct {
	Hub    *Hub
	Buffer int            // per client; DefaultBuffer when 0
	Config map[string]any // sent in "connected"
	// Status returns the current snapshot for get_status (nil: null).
	Status func(ctx context.Context) any
	Log    *slog.Logger
}

// Groups a client may subscribe to.
var Groups = []string{"all", "jobs", "ws", "system", "critical"}

func (s *WS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !httpapi.Unbounded(w) {
		return
	}
	if !waitSeeded(r.Context(), s.Hub) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"detail":"event feed not ready (Redis unreachable?); reconnect"}`, http.StatusServiceUnavailable)
		return
	}
	sub, recent, err := s.Hub.Subscribe(s.Buffer, RecentSize)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"detail":"worker draining; reconnect"}`, http.StatusServiceUnavailable)
		return
	}
	defer sub.Close()
	c, err := websocket.Accept(w, r, nil) // same origin only: the dashboard's
	if err != nil {
		return // Accept answered the client
	}
	defer c.CloseNow()
	c.SetReadLimit(64 << 10)
	ctx, cancel := context.WithCancel(context.Background()) // the request's ends with the handler, not before
	defer cancel()

	cl := &wsClient{c: c, types: []string{"all"}}
	evs := make([]json.RawMessage, len(recent))
	for i, e := range recent {
		evs[i] = e.Data
	}
	if cl.send(ctx, map[string]any{"type": "recent_events", "events": evs, "timestamp": now()}) != nil ||
		cl.send(ctx, map[string]any{"type": "connected", "client_id": uuid(), "config": s.Config}) != nil {
		return
	}
	in := make(chan []byte)
	go func() { // the reader: its only exit is an error, e.g. the close below
		defer cancel()
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			select {
			case in <- msg:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case e := <-sub.C:
			if cl.wants(*e) && cl.sendRaw(ctx, eventMessage(*e)) != nil {
				return
			}
		case msg := <-in:
			if cl.send(ctx, s.answer(ctx, cl, msg)) != nil {
				return
			}
		case <-sub.Done():
			if sub.Reason() == ReasonOverflow {
				c.Close(websocket.StatusPolicyViolation, "too slow: feed buffer overflowed")
			} else {
				c.Close(websocket.StatusGoingAway, "server draining; reconnect")
			}
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *WS) answer(ctx context.Context, cl *wsClient, msg []byte) any {
	var m struct {
		Type  string   `json:"type"`
		Types []string `json:"types"`
	}
	if json.Unmarshal(msg, &m) != nil {
		return map[string]any{"type": "error", "message": "Invalid JSON"}
	}
	switch m.Type {
	case "ping":
		return map[string]any{"type": "pong", "timestamp": now()}
	case "subscribe":
		for _, t := range m.Types {
			if !slices.Contains(Groups, t) {
				return map[string]any{"type": "error", "message": fmt.Sprintf("Unknown subscription type: %q", t)}
			}
		}
		if len(m.Types) == 0 {
			m.Types = []string{"all"}
		}
		cl.types = m.Types
		return map[string]any{"type": "subscribed", "types": m.Types}
	case "get_status":
		var snap any
		if s.Status != nil {
			snap = s.Status(ctx)
		}
		return map[string]any{"type": "status", "snapshot": snap, "timestamp": now()}
	}
	return map[string]any{"type": "error", "message": fmt.Sprintf("Unknown message type: %q", m.Type)}
}

type wsClient struct {
	c     *websocket.Conn
	types []string // only the handler's goroutine touches it
}

func (cl *wsClient) wants(e Entry) bool {
	for _, t := range cl.types {
		switch t {
		case "all":
			return true
		case "critical":
			if e.Severity == events.SeverityCritical || e.Severity == events.Error {
				return true
			}
		default:
			if events.Group(e.Type) == t {
				return true
			}
		}
	}
	return false
}

func (cl *wsClient) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	return cl.sendRaw(ctx, b)
}

func (cl *wsClient) sendRaw(ctx context.Context, b []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeWait)
	defer cancel()
	return cl.c.Write(ctx, websocket.MessageText, b)
}

// eventMessage wraps the stored JSON without decoding it.
func eventMessage(e Entry) []byte {
	b := make([]byte, 0, len(e.Data)+28)
	b = append(b, `{"type":"event","event":`...)
	b = append(b, e.Data...)
	return append(b, '}')
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// uuid is a random (version 4) UUID: the client id the original sent.
func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// seedWait bounds how long a WebSocket upgrade waits for the reader's start
// (Hub.Seeded) before it is refused: the recent list it sends first would
// otherwise be empty.
var seedWait = 5 * time.Second

func waitSeeded(ctx context.Context, h *Hub) bool {
	t := time.NewTimer(seedWait)
	defer t.Stop()
	select {
	case <-h.Seeded():
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}
