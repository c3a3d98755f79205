//go:build testhooks

package logging

import "os"

// Tests of the real binary point the master at their own stand-in journald
// (see tests/integration). Only in binaries built with -tags testhooks.
func init() {
	if p := os.Getenv("TESTHOOK_JOURNAL_SOCKET"); p != "" {
		journalSocket = p
	}
}
