package logging

import (
	"errors"
	"log/slog"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

var errWire = errors.New("not a wire record")

// parseWire decodes one line written by NewWorker's handler:
// {"t":<int>,"l":<int>,"m":<string>,"a":[<string>,<value>,…]}. It is a
// hand-written scanner for exactly that shape because encoding/json was half
// of the master's cost per relayed record. Strings without escapes are
// substrings of line, so a record costs one copy of the line.
func parseWire(line string, e *entry) error {
	p := wireParser{s: line}
	if !p.lit(`{"t":`) {
		return errWire
	}
	t, ok := p.int()
	if !ok || !p.lit(`,"l":`) {
		return errWire
	}
	l, ok := p.int()
	if !ok || !p.lit(`,"m":`) {
		return errWire
	}
	msg, ok := p.str()
	if !ok || !p.lit(`,"a":[`) {
		return errWire
	}
	e.time = timeFromUnixNano(t)
	e.level = slog.Level(l)
	e.msg = msg
	if p.lit("]}") {
		return p.end()
	}
	for {
		k, ok := p.str()
		if !ok || !p.lit(",") {
			return errWire
		}
		v, ok := p.value()
		if !ok {
			return errWire
		}
		e.attrs = append(e.attrs, kv{k, v})
		if p.lit("]}") {
			return p.end()
		}
		if !p.lit(",") {
			return errWire
		}
	}
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
