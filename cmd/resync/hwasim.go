package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/resync/resync/internal/hwasim"
)

// runHWASim serves the HWA simulator (internal/hwasim) until TERM or INT.
// It prints "hwa-sim listening on URL" first, so that a test passing
// --listen 127.0.0.1:0 learns the port.
func runHWASim(args []string) int {
	fs := flag.NewFlagSet("hwa-sim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:31116", "address to serve on (port 0 picks one)")
	cert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM)")
	key := fs.String("tls-key", "", "… and this key")
	user := fs.String("user", "resync", "Basic auth user")
	password := fs.String("password", "", "Basic auth password (default $RESYNC_HWA_SIM_PASSWORD, else resync)")
	seed := fs.Uint64("seed", 1, "plan seed: one seed, one plan")
	jobs := fs.Int("jobs", 2000, "jobs in the plan")
	tick := fs.Duration("tick", time.Second, "how often the plan advances (0 = only through POST /_sim/tick)")
	var k hwasim.Knobs
	fs.IntVar(&k.LatencyMS, "latency-ms", 0, "milliseconds added to every answer")
	fs.Float64Var(&k.ErrorRate, "error-rate", 0, "share of answers that are 500")
	fs.Float64Var(&k.Rate429, "rate-429", 0, "share of answers that are 429 with Retry-After: 1")
	fs.BoolVar(&k.Outage, "outage", false, "answer every request 503")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if (*cert == "") != (*key == "") {
		fmt.Fprintln(os.Stderr, "resync hwa-sim: --tls-cert and --tls-key go together")
		return exitUsage
	}
	if *password == "" {
		*password = os.Getenv("RESYNC_HWA_SIM_PASSWORD")
	}
	sim := hwasim.New(hwasim.Options{Seed: *seed, Jobs: *jobs, User: *user, Password: *password, Tick: *tick, Knobs: k})
	l, err := sim.Listen(*listen, *cert, *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "resync hwa-sim:", err)
		return exitFail
	}
	fmt.Printf("hwa-sim listening on %s (seed %d, %d jobs)\n", l.URL, *seed, *jobs)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
		_ = l.Close()
		return exitOK
	case err := <-l.Done():
		fmt.Fprintln(os.Stderr, "resync hwa-sim:", err)
		return exitFail
	}
}
