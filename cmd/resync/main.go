// Command resync is the HWA API daemon: a master that supervises worker
// processes. Each subcommand lives in its own file; main only dispatches.
package main

import (
	"fmt"
	"os"

	"github.com/resync/resync/internal/protocol"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

// Exit codes: a worker's are part of the master–worker protocol (see package
// protocol); exitUsage is the command line's own.
const (
	exitOK    = protocol.ExitOK
	exitFail  = protocol.ExitFail
	exitUsage = 2
	exitBoot  = protocol.ExitBoot
)

var commands = map[string]func(args []string) int{
	"serve":   runServe,
	"worker":  runWorker,
	"check":   runCheck,
	"reload":  runReload,
	"status":  runStatus,
	"doctor":  runDoctor,
	"hwa-sim": runHWASim,
	"version": func([]string) int { fmt.Println("resync", version); return exitOK },
}

func main() {
	name, args := "serve", os.Args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	run, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "resync: unknown command %q\n\n%s", name, usage)
		os.Exit(exitUsage)
	}
	os.Exit(run(args))
}

const usage = `usage: resync [command] [flags]

commands:
  serve     run the master and its workers (the default)
  check     validate the configuration and print the effective values
  reload    ask the running master to reload, and wait for the outcome
  status    print the running master's worker table
  doctor    check this host against the deploy checklist
  hwa-sim   serve the HWA simulator (a generated plan on the V2 API)
  version   print the version
`
