package feed

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Entry is one stream entry: its id (ms-seq) and the event's JSON.
type Entry struct {
	ID   string
	Data []byte
	// Type and Severity are read from Data once, for subscription filters.
	Type, Severity string
}

// Field is the stream entry's field that holds the event JSON.
const Field = "event"

func newEntry(id string, data []byte) Entry {
	if len(data) == 0 {
		data = []byte("null") // not ours; still valid JSON for the clients
	}
	var head struct {
		Type     string `json:"event_type"`
		Severity string `json:"severity"`
	}
	_ = json.Unmarshal(data, &head) // a foreign entry still flows, unfiltered by type
	return Entry{ID: id, Data: data, Type: head.Type, Severity: head.Severity}
}

// streamID is a parsed Redis stream id.
type streamID struct{ ms, seq uint64 }

func parseID(s string) (streamID, bool) {
	ms, seq, found := strings.Cut(s, "-")
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return streamID{}, false
	}
	var b uint64
	if found {
		if b, err = strconv.ParseUint(seq, 10, 64); err != nil {
			return streamID{}, false
		}
	}
	return streamID{a, b}, true
}

func (a streamID) less(b streamID) bool { return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq) }

// idLess reports a < b for valid ids; an invalid id sorts first.
func idLess(a, b string) bool {
	x, okx := parseID(a)
	y, oky := parseID(b)
	switch {
	case !okx:
		return oky
	case !oky:
		return false
	}
	return x.less(y)
}
