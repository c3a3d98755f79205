package config

import (
	"fmt"
	"strconv"
)

// Error is one thing wrong with the configuration. Load returns all of them
// joined (errors.Join); pull them apart with errors.As or the
// Unwrap() []error method to report each on its own line.
type Error struct {
	File   string // env file, "" when the value came from the process environment
	Line   int    // 1-based line in File, 0 when not about one line
	Key    string // setting name, "" for a syntax error
	Value  string // the offending text; masked for secrets
	Reason string
}

// Error reads like `/etc/resync/env:7: RESYNC_WORKERS="abc": must be "auto" or a positive integer`
// or `environment: RESYNC_TIMEOUT="0": must be > 0`.
func (e *Error) Error() string {
	where := "environment"
	switch {
	case e.File != "" && e.Line > 0:
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	case e.File != "":
		where = e.File
	}
	switch {
	case e.Key != "":
		return fmt.Sprintf("%s: %s=%s: %s", where, e.Key, strconv.Quote(e.Value), e.Reason)
	case e.Value != "":
		return fmt.Sprintf("%s: %s: %s", where, strconv.Quote(e.Value), e.Reason)
	}
	return fmt.Sprintf("%s: %s", where, e.Reason)
}
