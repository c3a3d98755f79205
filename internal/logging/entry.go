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

// scope is what the master handler's WithAttrs and WithGroup accumulate:
// attributes already flattened, and the dotted prefix of the open groups.
// (A worker's groups arrive as nested objects; parseWire flattens them the
// same way.)
type scope struct {
	attrs  []kv
	prefix string
}

func (s scope) with(as []slog.Attr) scope {
	s.attrs = append([]kv(nil), s.attrs...)
	for _, a := range as {
		s.attrs = appendAttr(s.attrs, s.prefix, a)
	}
	return s
}

func (s scope) group(name string) scope {
	if name != "" {
		s.prefix = s.prefix + name + "."
	}
	return s
}

// flatten appends the scope's attributes, then r's, to dst.
func (s scope) flatten(dst []kv, r slog.Record) []kv {
	dst = append(dst, s.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		dst = appendAttr(dst, s.prefix, a)
		return true
	})
	return dst
}

func (e *entry) markAccess() { e.access = isAccess(e.attrs) }

// isAccess: the attributes carry kind=access, as AccessLog's records do;
// sinks render them in combined format.
func isAccess(attrs []kv) bool {
	for _, a := range attrs {
		if a.key == keyKind && a.val.Kind() == slog.KindString && a.val.String() == kindAccess {
			return true
		}
	}
	return false
}

func (e *entry) lookup(key string) (slog.Value, bool) {
	for _, a := range e.attrs {
		if a.key == key {
			return a.val, true
		}
	}
	return slog.Value{}, false
}
