package logging

import (
	"errors"
	"log/slog"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

var errWire = errors.New("not a wire record")

// parseWire decodes one line of slog.JSONHandler's output, as NewWorker
// writes it: {"time":"<RFC 3339>","level":"INFO","msg":"…",<attributes>},
// with "time" absent for a record without one. Nested objects (groups)
// become dotted keys, as the master's own handler flattens them. It is a
// hand-written scanner for exactly that shape because encoding/json was half
// of the master's cost per relayed record. Strings without escapes are
// substrings of line, so a record costs one copy of the line.
func parseWire(line string, e *entry) error {
	p := wireParser{s: line}
	if !p.lit(`{`) {
		return errWire
	}
	e.time = time.Now()
	if p.lit(`"time":`) {
		ts, ok := p.str()
		if !ok || !p.lit(",") {
			return errWire
		}
		// time.Parse has a fast path for RFC 3339: a parser by position
		// measured no cheaper.
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return errWire
		}
		e.time = t
	}
	if !p.lit(`"level":`) {
		return errWire
	}
	lv, ok := p.str()
	if !ok || !p.lit(`,"msg":`) {
		return errWire
	}
	if e.level, ok = parseLevel(lv); !ok {
		return errWire
	}
	if e.msg, ok = p.str(); !ok {
		return errWire
	}
	if !p.members(e, "") {
		return errWire
	}
	return p.end()
}

// members reads ,"key":value… up to and including the closing brace of the
// object it is in.
func (p *wireParser) members(e *entry, prefix string) bool {
	for !p.lit("}") {
		if !p.lit(",") && !(p.i > 0 && p.s[p.i-1] == '{') {
			return false
		}
		k, ok := p.str()
		if !ok || !p.lit(":") {
			return false
		}
		if prefix != "" {
			k = prefix + k
		}
		if p.lit("{") {
			if !p.members(e, k+".") {
				return false
			}
			continue
		}
		v, ok := p.value()
		if !ok {
			return false
		}
		e.attrs = append(e.attrs, kv{k, v})
	}
	return true
}

// parseLevel reads slog.Level's text: DEBUG, INFO, WARN or ERROR, with an
// offset such as ERROR+4 (LevelCritical).
func parseLevel(s string) (slog.Level, bool) {
	switch s {
	case "INFO":
		return slog.LevelInfo, true
	case "DEBUG":
		return slog.LevelDebug, true
	case "WARN":
		return slog.LevelWarn, true
	case "ERROR":
		return slog.LevelError, true
	}
	var l slog.Level
	return l, l.UnmarshalText([]byte(s)) == nil
}

type wireParser struct {
	s string
	i int
}

func (p *wireParser) end() error {
	if p.i != len(p.s) {
		return errWire
	}
	return nil
}

func (p *wireParser) lit(l string) bool {
	if len(p.s)-p.i >= len(l) && p.s[p.i:p.i+len(l)] == l {
		p.i += len(l)
		return true
	}
	return false
}

func (p *wireParser) int() (int64, bool) {
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	p.i = j
	return n, err == nil
}

func (p *wireParser) value() (slog.Value, bool) {
	if p.i >= len(p.s) {
		return slog.Value{}, false
	}
	switch c := p.s[p.i]; {
	case c == '"':
		s, ok := p.str()
		return slog.StringValue(s), ok
	case c == 't' && p.lit("true"):
		return slog.BoolValue(true), true
	case c == 'f' && p.lit("false"):
		return slog.BoolValue(false), true
	case c == 'n' && p.lit("null"):
		return slog.StringValue("null"), true
	case c == '[':
		// slog.Any of a slice, marshalled by encoding/json: kept as its
		// JSON text.
		start := p.i
		if !p.skipArray() {
			return slog.Value{}, false
		}
		return slog.StringValue(p.s[start:p.i]), true
	case c == '-' || (c >= '0' && c <= '9'):
		j := p.i
		for j < len(p.s) && (p.s[j] == '-' || p.s[j] == '+' || p.s[j] == '.' || p.s[j] == 'e' ||
			p.s[j] == 'E' || (p.s[j] >= '0' && p.s[j] <= '9')) {
			j++
		}
		num := p.s[p.i:j]
		p.i = j
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			return slog.Int64Value(n), true
		}
		if n, err := strconv.ParseUint(num, 10, 64); err == nil {
			return slog.Uint64Value(n), true
		}
		f, err := strconv.ParseFloat(num, 64)
		return slog.Float64Value(f), err == nil
	}
	return slog.Value{}, false
}

// skipArray passes over one JSON array, nested arrays and objects included.
func (p *wireParser) skipArray() bool {
	depth := 0
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '"':
			if _, ok := p.str(); !ok {
				return false
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				p.i++
				return true
			}
		}
		p.i++
	}
	return false
}

// str reads a JSON string.
func (p *wireParser) str() (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch p.s[j] {
		case '"':
			p.i = j + 1
			return p.s[start:j], true
		case '\\':
			return p.strEscaped(start)
		}
	}
	return "", false
}

func (p *wireParser) strEscaped(start int) (string, bool) {
	b := make([]byte, 0, 64)
	for j := start; j < len(p.s); {
		c := p.s[j]
		switch {
		case c == '"':
			p.i = j + 1
			return string(b), true
		case c != '\\':
			b = append(b, c)
			j++
			continue
		}
		if j+1 >= len(p.s) {
			return "", false
		}
		switch esc := p.s[j+1]; esc {
		case '"', '\\', '/':
			b = append(b, esc)
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'u':
			r, ok := hex4(p.s, j+2)
			if !ok {
				return "", false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(p.s, j+2); ok && j+1 < len(p.s) && p.s[j] == '\\' && p.s[j+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b = utf8.AppendRune(b, d)
						j += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	return rune(n), err == nil
}
