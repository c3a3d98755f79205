package logging

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const textTime = "2006-01-02T15:04:05.000Z07:00"

// appendText renders one line: "time LEVEL message key=value …". Control
// characters in the message are escaped so a record is always one line, which
// keeps files greppable and lets a reader count records by lines.
func appendText(b []byte, e *entry) []byte {
	if e.access {
		b = appendCombined(b, e)
		return append(b, '\n')
	}
	b = e.time.AppendFormat(b, textTime)
	b = append(b, ' ')
	b = append(b, levelName(e.level)...)
	b = append(b, ' ')
	b = appendEscaped(b, e.msg)
	for _, a := range e.attrs {
		b = append(b, ' ')
		b = appendTextAttr(b, a)
	}
	return append(b, '\n')
}

func appendTextAttr(b []byte, a kv) []byte {
	b = append(b, a.key...)
	b = append(b, '=')
	start := len(b)
	b = appendValue(b, a.val)
	if needsQuote(b[start:]) {
		s := string(b[start:])
		b = strconv.AppendQuote(b[:start], s)
	}
	return b
}

// appendCombined renders gunicorn's access format
// %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"
// followed by duration_us, correlation_id and any other attribute as key=value.
// The user field is always "-": resync does not log credentials.
func appendCombined(b []byte, e *entry) []byte {
	const (
		client = iota
		method
		path
		query
		proto
		status
		size
		referer
		agent
		nFields
	)
	var f [nFields]slog.Value
	var has [nFields]bool
	for _, a := range e.attrs {
		i := -1
		switch a.key {
		case keyClient:
			i = client
		case keyMethod:
			i = method
		case keyPath:
			i = path
		case keyQuery:
			i = query
		case keyProto:
			i = proto
		case keyStatus:
			i = status
		case keyBytes:
			i = size
		case keyReferer:
			i = referer
		case keyUserAgent:
			i = agent
		}
		if i >= 0 {
			f[i], has[i] = a.val, true
		}
	}
	// field appends a value; strings are escaped like the quoted fields so
	// that no header can add a line or a field; missing or empty is "-".
	field := func(b []byte, i int, dash bool) []byte {
		v := f[i]
		switch {
		case !has[i] || (v.Kind() == slog.KindString && v.String() == ""):
			if dash {
				return append(b, '-')
			}
			return b
		case v.Kind() == slog.KindString:
			return appendQuoted(b, v.String())
		}
		return appendValue(b, v)
	}
	b = field(b, client, true)
	b = append(b, " - - ["...)
	b = e.time.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] \""...)
	b = field(b, method, false)
	b = append(b, ' ')
	b = field(b, path, false)
	if has[query] && !(f[query].Kind() == slog.KindString && f[query].String() == "") {
		b = append(b, '?')
		b = field(b, query, false)
	}
	b = append(b, ' ')
	b = field(b, proto, false)
	b = append(b, "\" "...)
	b = field(b, status, true)
	b = append(b, ' ')
	b = field(b, size, true)
	b = append(b, " \""...)
	b = field(b, referer, true)
	b = append(b, "\" \""...)
	b = field(b, agent, true)
	b = append(b, '"')
	for _, a := range e.attrs {
		switch a.key {
		case keyKind, keyClient, keyMethod, keyPath, keyQuery, keyProto, keyStatus,
			keyBytes, keyReferer, keyUserAgent:
			continue
		}
		b = append(b, ' ')
		b = appendTextAttr(b, a)
	}
	return b
}

// appendJSON renders one JSON object per line with flat dotted keys.
func appendJSON(b []byte, e *entry) []byte {
	b = append(b, `{"time":"`...)
	b = e.time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, levelName(e.level)...)
	b = append(b, `","msg":`...)
	b = appendJSONString(b, e.msg)
	for _, a := range e.attrs {
		b = append(b, ',')
		b = appendJSONString(b, a.key)
		b = append(b, ':')
		b = appendJSONValue(b, a.val)
	}
	return append(b, "}\n"...)
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindString:
		return append(b, v.String()...)
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return append(b, v.Duration().String()...)
	case slog.KindTime:
		return v.Time().AppendFormat(b, time.RFC3339Nano)
	}
	if err, ok := v.Any().(error); ok {
		return append(b, err.Error()...)
	}
	return fmt.Append(b, v.Any())
}

func appendJSONValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindString:
		return appendJSONString(b, v.String())
	case slog.KindAny:
		if _, isErr := v.Any().(error); !isErr {
			if m, ok := v.Any().(json.Marshaler); ok {
				if j, err := m.MarshalJSON(); err == nil && json.Valid(j) {
					return append(b, j...)
				}
			}
		}
	}
	return appendJSONString(b, string(appendValue(nil, v)))
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscaped copies s, escaping control characters and backslashes, so
// that a multi-line message stays on one line.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendQuoted is appendEscaped that also escapes '"', for the quoted fields
// of the combined format (a client-controlled User-Agent cannot forge fields).
func appendQuoted(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return appendEscaped(b, s)
		}
		b = appendEscaped(b, s[:i])
		b = append(b, '\\', '"')
		s = s[i+1:]
	}
}

func needsQuote(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	for _, c := range v {
		if c <= ' ' || c == '=' || c == '"' || c == 0x7f || c == '\\' {
			return true
		}
	}
	return !utf8.Valid(v)
}
