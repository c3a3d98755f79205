package sdnotify

import (
	"errors"
	"fmt"
	"strings"
)

// MaxMessage bounds a datagram we accept. systemd itself takes up to 4 KiB of
// text plus fds; ours carry a metrics snapshot, so allow more.
const MaxMessage = 64 << 10

// Message is one parsed notification. A key sent twice keeps the last value,
// as systemd does.
type Message map[string]string

// Parse decodes a datagram. It rejects what systemd would also not make sense
// of: lines without '=', empty keys, and keys outside [A-Z0-9_].
func Parse(b []byte) (Message, error) {
	if len(b) > MaxMessage {
		return nil, fmt.Errorf("parse notify message: %d bytes exceeds %d", len(b), MaxMessage)
	}
	m := Message{}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("parse notify message: line %d: no '=' in %q", i+1, clip(line))
		}
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("parse notify message: line %d: %w", i+1, err)
		}
		m[key] = value
	}
	if len(m) == 0 {
		return nil, errors.New("parse notify message: empty")
	}
	return m, nil
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	for _, c := range key {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("key %q: only A-Z, 0-9 and _ are allowed", clip(key))
		}
	}
	return nil
}

// Format encodes assignments in the order given; keys must be valid.
func Format(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i])
		b.WriteByte('=')
		b.WriteString(kv[i+1])
		b.WriteByte('\n')
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
