//go:build testhooks

package worker

import (
	"errors"
	"os"
)

// bootHook lets tests make every worker fail before it serves: the crash-loop
// path of the master. Only in binaries built with -tags testhooks.
func bootHook() error {
	if os.Getenv("TESTHOOK_BOOT_CRASH") != "" {
		return errors.New("test hook: crash while booting")
	}
	return nil
}
