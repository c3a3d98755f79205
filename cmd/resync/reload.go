package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
)

// runReload is ExecReload=: it returns only when the master has finished the
// reload (exit 0) or refused it (exit 1, reason on stderr), which is what makes
// `systemctl reload resync` report the outcome.
func runReload(args []string) int {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	dir := fs.String("runtime-dir", "", "the master's runtime directory (default $RESYNC_RUNTIME_DIR, $RUNTIME_DIRECTORY or /run/resync)")
	wait := fs.Duration("timeout", 10*time.Minute, "how long to wait for the new workers")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	resp, err := control.Do(control.Path(runtimeDir(*dir)), control.Request{Cmd: "reload"}, *wait)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resync reload:", err)
		return exitFail
	}
	if !resp.OK {
		fmt.Fprintln(os.Stderr, "resync reload: reload failed; the old workers keep serving:")
		printErrors("resync reload", fmt.Errorf("%s", resp.Error))
		return exitFail
	}
	fmt.Println("resync reload: done")
	return exitOK
}

// runtimeDir finds the master's runtime directory without validating the env
// file: a broken file must not stop `resync reload` from reporting it.
func runtimeDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if cfg, err := config.Load(os.Environ()); err == nil {
		return cfg.RuntimeDir
	}
	if v := os.Getenv("RESYNC_RUNTIME_DIR"); v != "" {
		return v
	}
	return config.Default().RuntimeDir
}
