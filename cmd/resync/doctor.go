package main

import (
	"fmt"
	"os"
)

// runDoctor is filled in by the packaging work (issue 5).
func runDoctor(args []string) int {
	fmt.Fprintln(os.Stderr, "resync doctor: not implemented yet")
	return exitFail
}
