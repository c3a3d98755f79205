package config

import (
	"strings"
	"unicode/utf8"
)

// assignment is one KEY=VALUE read from an env file; Line is where the key starts.
type assignment struct {
	Key, Value string
	Line       int
}

// parseEnvFile reads systemd EnvironmentFile= syntax the way systemd's
// src/basic/env-file.c (parse_env_file_internal) does, so the file means the
// same to us as to the unit that loads it:
//
//   - leading whitespace is skipped; a line whose first other character is '#'
//     or ';' is a comment (a trailing backslash does not continue a comment,
//     as in systemd ≥ 254);
//   - whitespace around the key and around an unquoted value is trimmed;
//   - at the start of a value, '…' is literal and "…" takes backslash escapes
//     for " \ ` $ and newline (other backslashes stay); quoted parts and bare
//     words concatenate, whitespace between them is dropped;
//   - in a bare value, a backslash makes the next character literal and a
//     backslash before a newline joins the lines; quotes inside it are literal;
//   - '\r' ends a line as '\n' does, so CRLF files read cleanly.
//
// Where systemd silently drops or half-reads a line we report an error instead,
// since such a typo otherwise loses a setting without a trace: a line with no
// '=', an invalid variable name, invalid UTF-8, a NUL byte (systemd stops
// reading there), and a quote still open at the end of the file. The good
// assignments are returned alongside the errors, in file order; a key may
// repeat, the last one wins.
func parseEnvFile(data, name string) ([]assignment, []error) {
	p := envParser{name: name, line: 1}
	if i := strings.IndexByte(data, 0); i >= 0 {
		nulLine := 1 + strings.Count(data[:i], "\n")
		p.errs = append(p.errs, &Error{File: name, Line: nulLine,
			Reason: "NUL byte in env file; systemd stops reading here"})
		data = data[:i]
	}
	for i := 0; i < len(data); i++ {
		p.step(data[i])
	}
	p.finish()
	return p.out, p.errs
}

type envState int

const (
	preKey envState = iota
	inKey
	preValue
	inValue
	valueEscape
	singleQuote
	doubleQuote
	doubleQuoteEscape
	inComment
)

const (
	envWhitespace = " \t\n\r"
	envNewline    = "\n\r"
	// shellNeedEscape is systemd's SHELL_NEED_ESCAPE: the characters a
	// backslash escapes inside double quotes.
	shellNeedEscape = "\"\\`$"
)

type envParser struct {
	name  string
	state envState
	line  int // current line, counted on '\n' only

	keyLine   int
	key       []byte
	value     []byte
	quoteLine int // where the open quote started, for the EOF error
	// keyEnd / valueEnd are where trailing whitespace begins (-1: none).
	keyEnd, valueEnd int

	out  []assignment
	errs []error
}

func isOneOf(c byte, set string) bool { return strings.IndexByte(set, c) >= 0 }

func (p *envParser) step(c byte) {
	switch p.state {
	case preKey:
		switch {
		case c == '#' || c == ';':
			p.state = inComment
		case !isOneOf(c, envWhitespace):
			p.state = inKey
			p.key, p.keyLine, p.keyEnd = append(p.key[:0], c), p.line, -1
		}
	case inKey:
		switch {
		case isOneOf(c, envNewline):
			p.errs = append(p.errs, &Error{File: p.name, Line: p.keyLine,
				Value: strings.TrimSpace(string(p.key)), Reason: `not a KEY=VALUE assignment (no "=")`})
			p.state = preKey
		case c == '=':
			p.state = preValue
			p.value, p.valueEnd = p.value[:0], -1
		default:
			if !isOneOf(c, envWhitespace) {
				p.keyEnd = -1
			} else if p.keyEnd < 0 {
				p.keyEnd = len(p.key)
			}
			p.key = append(p.key, c)
		}
	case preValue:
		switch {
		case isOneOf(c, envNewline):
			p.push()
		case c == '\'':
			p.state, p.quoteLine = singleQuote, p.line
		case c == '"':
			p.state, p.quoteLine = doubleQuote, p.line
		case c == '\\':
			p.state = valueEscape
		case !isOneOf(c, envWhitespace):
			p.state = inValue
			p.value = append(p.value, c)
		}
	case inValue:
		switch {
		case isOneOf(c, envNewline):
			if p.valueEnd >= 0 {
				p.value = p.value[:p.valueEnd]
			}
			p.push()
		case c == '\\':
			p.state, p.valueEnd = valueEscape, -1
		default:
			if !isOneOf(c, envWhitespace) {
				p.valueEnd = -1
			} else if p.valueEnd < 0 {
				p.valueEnd = len(p.value)
			}
			p.value = append(p.value, c)
		}
	case valueEscape:
		p.state = inValue
		if !isOneOf(c, envNewline) {
			p.value = append(p.value, c)
		}
	case singleQuote:
		if c == '\'' {
			p.state = preValue
		} else {
			p.value = append(p.value, c)
		}
	case doubleQuote:
		switch c {
		case '"':
			p.state = preValue
		case '\\':
			p.state = doubleQuoteEscape
		default:
			p.value = append(p.value, c)
		}
	case doubleQuoteEscape:
		p.state = doubleQuote
		switch {
		case isOneOf(c, shellNeedEscape):
			p.value = append(p.value, c)
		case c != '\n':
			// Like the shell, an escape of anything else keeps its backslash.
			p.value = append(p.value, '\\', c)
		}
	case inComment:
		if isOneOf(c, envNewline) {
			p.state = preKey
		}
	}
	if c == '\n' {
		p.line++
	}
}

// finish handles the end of the data, which ends the last line as systemd does.
func (p *envParser) finish() {
	switch p.state {
	case inKey:
		p.step('\n')
	case singleQuote, doubleQuote, doubleQuoteEscape:
		p.errs = append(p.errs, &Error{File: p.name, Line: p.quoteLine, Key: p.trimmedKey(),
			Value: string(p.value), Reason: "quote opened here is never closed"})
	case preValue, inValue, valueEscape:
		if p.state == inValue && p.valueEnd >= 0 {
			p.value = p.value[:p.valueEnd]
		}
		p.push()
	}
}

func (p *envParser) trimmedKey() string {
	if p.keyEnd >= 0 {
		return string(p.key[:p.keyEnd])
	}
	return string(p.key)
}

// push records the finished assignment, or an error if systemd would refuse it.
func (p *envParser) push() {
	p.state = preKey
	a := assignment{Key: p.trimmedKey(), Value: string(p.value), Line: p.keyLine}
	switch {
	case !validEnvName(a.Key):
		p.errs = append(p.errs, &Error{File: p.name, Line: a.Line, Value: a.Key,
			Reason: "invalid variable name (letters, digits and _ only, not starting with a digit)"})
	case !utf8.ValidString(a.Key) || !utf8.ValidString(a.Value):
		p.errs = append(p.errs, &Error{File: p.name, Line: a.Line, Key: a.Key,
			Value: strings.ToValidUTF8(a.Value, "\uFFFD"), Reason: "invalid UTF-8 (systemd refuses the whole file)"})
	default:
		p.out = append(p.out, a)
	}
}

// validEnvName is systemd's env_name_is_valid: a shell variable name.
func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// quoteEnvValue renders v so that parseEnvFile reads it back unchanged: bare
// when it is plain, otherwise in double quotes with " \ ` $ escaped.
func quoteEnvValue(v string) string {
	plain := v != ""
	for i := 0; i < len(v) && plain; i++ {
		c := v[i]
		plain = c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == ',' ||
			c == '@' || c == '+' || c == '=' || c == '%' || c == '[' || c == ']' || c == '*' ||
			c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
	}
	if plain || v == "" {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if isOneOf(v[i], shellNeedEscape) {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}
