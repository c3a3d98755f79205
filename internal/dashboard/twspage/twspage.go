// Package twspage owns the live TWS dashboard served at /dashboard/tws: one
// HTML document with its CSS and JavaScript inlined (internal/dashboard's
// Assemble: a CSP admitting exactly them, no CDN, no build step).
//
// The page reads the monitoring API (internal/monitoring) every 2 s
// (?interval=ms overrides, 250 at least) — /status?brief=1 for health, data
// age, upstream and poller; /status/workstations; /status/jobs?status=ABEND
// for the ABEND list (each row links to /api/v1/tws/jobs/{id} and its /log)
// — and follows /api/v1/monitoring/ws for the event feed; an event refreshes
// the numbers at once. The jobs-per-class chart is drawn on <canvas>; it
// carries data-points with the number of samples drawn. Elements tests read
// have ids: ws-online, ws-offline, jobs-running, jobs-completed, jobs-failed,
// jobs-pending, health, age, upstream, holder, abends (tbody), events (ol).
package twspage

import (
	"embed"
	"net/http"

	"github.com/resync/resync/internal/dashboard"
)

//go:embed assets
var assets embed.FS

var page, csp = dashboard.AssembleFS(assets, "index.html", "tws.css", "tws.js")

// Handler serves the page to GET and HEAD.
func Handler() http.Handler { return dashboard.Serve(page, csp) }
