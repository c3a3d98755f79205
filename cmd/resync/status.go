package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/resync/resync/internal/control"
)

// runStatus prints the running master's worker table.
func runStatus(args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	dir := fs.String("runtime-dir", "", "the master's runtime directory")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	s, err := control.Status(control.Path(runtimeDir(*dir)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "resync status:", err)
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(s)
		return exitOK
	}
	now := time.Now()
	fmt.Printf("master pid %d, up %s, generation %d, %d/%d workers, %d requests; last reload: %s\n",
		s.PID, now.Sub(s.Started).Round(time.Second), s.Generation, len(s.Workers), s.Target, s.Requests, s.LastReload)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PID\tGEN\tSTATE\tAGE\tREQUESTS\tHEARTBEAT\tRSS")
	for _, w := range s.Workers {
		beat := "-"
		if !w.LastHeartbeat.IsZero() {
			beat = now.Sub(w.LastHeartbeat).Round(time.Millisecond).String() + " ago"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\t%.1f MB\n", w.PID, w.Generation, w.State,
			now.Sub(w.Started).Round(time.Second), w.Requests, beat, float64(w.RSSBytes)/(1<<20))
	}
	tw.Flush()
	return exitOK
}
