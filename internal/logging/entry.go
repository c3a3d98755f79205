package logging

import (
	"log/slog"
	"time"
)

// entry is a record flattened for the sinks: group names become dotted key
// prefixes, so every sink (journald fields, text, JSON) sees one flat list.
// Master records and relayed worker records both end up as an entry.
type entry struct {
	time   time.Time
	level  slog.Level
	msg    string
	attrs  []kv
	access bool // carries kind=access: rendered in combined format as text
}

type kv struct {
	key string
	val slog.Value
}

// Keys of the access record. In journald they become METHOD, PATH, STATUS, …
const (
	keyKind          = "kind"
	kindAccess       = "access"
	keyClient        = "client"
	keyMethod        = "method"
	keyPath          = "path"
	keyQuery         = "query"
	keyProto         = "proto"
	keyStatus        = "status"
	keyBytes         = "bytes"
	keyDurationUS    = "duration_us"
	keyUserAgent     = "user_agent"
	keyReferer       = "referer"
	keyCorrelationID = "correlation_id"
	keyWorkerPID     = "worker_pid"
	keyGeneration    = "generation"
	keyStream        = "stream"
)

// appendAttr flattens a into dst under prefix, resolving LogValuers and
// inlining groups; empty attrs are dropped as slog's handlers do.
func appendAttr(dst []kv, prefix string, a slog.Attr) []kv {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return dst
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, g := range a.Value.Group() {
			dst = appendAttr(dst, p, g)
		}
		return dst
	}
	return append(dst, kv{key: prefix + a.Key, val: a.Value})
}

func (e *entry) markAccess() {
	for _, a := range e.attrs {
		if a.key == keyKind && a.val.Kind() == slog.KindString && a.val.String() == kindAccess {
			e.access = true
			return
		}
	}
}

func (e *entry) lookup(key string) (slog.Value, bool) {
	for _, a := range e.attrs {
		if a.key == key {
			return a.val, true
		}
	}
	return slog.Value{}, false
}
