// Package dashboard owns the metrics dashboard page served at
// /api/v1/metrics/dashboard: one HTML document with its CSS and JavaScript
// inlined, embedded in the binary (no CDN, no build step).
//
// The page polls the /api/v1/metrics JSON document (internal/metrics.Report)
// found beside it — the page's path without its last "/dashboard" element —
// every 2 s (?interval=ms overrides, 250 at least) and derives everything else
// in the browser: requests/s and 5xx/s from counter deltas, latency p50/p99
// from histogram bucket deltas, per-worker RSS and CPU lines, the
// restart/recycle/timeout counts, and "redis"/"upstream" health tiles from
// the document's optional health map ("n/a" when absent). Each chart's canvas
// carries a data-points attribute with the number of points it drew.
//
// The assets are hand-written in assets/; charts are drawn by dashboard.js on
// <canvas>. A strict Content-Security-Policy allows exactly the inlined script
// and style (by hash) and fetches to the same origin.
package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// page is the assembled document and the CSP that admits its inline parts.
var page, csp = AssembleFS(assets, "index.html", "dashboard.css", "dashboard.js")

// AssembleFS reads a page's three parts from fsys's assets/ folder and
// assembles them (see Assemble). Every dashboard page is built this way.
func AssembleFS(fsys embed.FS, html, css, js string) (string, string) {
	read := func(name string) string {
		b, err := fsys.ReadFile("assets/" + name)
		if err != nil {
			panic("dashboard: embedded asset missing: " + err.Error()) // a build defect, caught by tests
		}
		return string(b)
	}
	return Assemble(read(html), read(css), read(js))
}

// Assemble inlines css and js into html (at /*CSS*/ and /*JS*/) and returns
// the page with the Content-Security-Policy that admits exactly those two,
// by hash, and fetches (WebSocket included) to the same origin. Every page
// resync serves is built so (this one, the TWS dashboard).
func Assemble(html, css, js string) (page, csp string) {
	html = strings.Replace(html, "/*CSS*/", css, 1)
	html = strings.Replace(html, "/*JS*/", js, 1)
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	policy := "default-src 'none'; script-src " + hash(js) + "; style-src " + hash(css) +
		"; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return html, policy
}

// Handler serves the dashboard page to GET and HEAD. Mount it at
// /api/v1/metrics/dashboard, beside the /api/v1/metrics document it reads.
func Handler() http.Handler { return Serve(page, csp) }

// Serve answers GET and HEAD with an assembled page and its policy.
func Serve(page, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: the dashboard is read with GET", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write([]byte(page))
	})
}
