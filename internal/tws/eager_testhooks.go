//go:build testhooks

package tws

import (
	"os"
	"strings"
)

// eagerLazy: TESTHOOK_EAGER_LAZY=tls,graph (or all) makes Boot build those
// lazy parts at once, so that what laziness saves at boot can be measured
// on the real binary. Only in binaries built with -tags testhooks.
func eagerLazy(part string) bool {
	for _, p := range strings.Split(os.Getenv("TESTHOOK_EAGER_LAZY"), ",") {
		if p == part || p == "all" {
			return true
		}
	}
	return false
}
