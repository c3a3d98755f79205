package logging

import (
	"fmt"
	"log/slog"
	"strings"
)

// LevelCritical is above slog.LevelError: journald PRIORITY=2 (crit) and the
// word CRITICAL in text, for records such as "WORKER TIMEOUT (pid:1234)".
const LevelCritical = slog.LevelError + 4

// ParseLevel maps RESYNC_LOG_LEVEL (debug | info | warn | error, any case; empty
// means info) to a slog level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("parse log level %q: want debug, info, warn or error", s)
}

// priority is the syslog priority journald files a record under, so that
// `journalctl -p err` keeps only errors and worse.
func priority(l slog.Level) byte {
	switch {
	case l >= LevelCritical:
		return '2'
	case l >= slog.LevelError:
		return '3'
	case l >= slog.LevelWarn:
		return '4'
	case l > slog.LevelInfo:
		return '5'
	case l >= slog.LevelInfo:
		return '6'
	}
	return '7'
}

func levelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}
