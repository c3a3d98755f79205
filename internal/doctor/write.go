package doctor

import (
	"fmt"
	"io"
)

// Write prints one line per result, ✓ or ✗ with the fix, and returns how many failed.
func Write(w io.Writer, rs []Result) (failed int) {
	for _, r := range rs {
		if r.OK {
			fmt.Fprintf(w, "✓ %s: %s\n", r.Name, r.Detail)
			continue
		}
		failed++
		fmt.Fprintf(w, "✗ %s: %s — fix: %s\n", r.Name, r.Detail, r.Fix)
	}
	return failed
}
