// Package httpapi owns resync's HTTP surface as a worker serves it: the routes
// and the middleware every request passes through (correlation id, request
// limits, timeout, panic recovery), the health and metrics endpoints, and who
// may use which route (access.go). It knows nothing of processes or sockets:
// what only the master knows comes through the Master interface.
//
// # Access
//
// Two roles guard routes, both decided in access.go from Options:
// admin (RESYNC_ADMIN_TOKEN, or an admin session) and operator
// (RESYNC_API_TOKENS, or anything that opens admin). With no token for a
// role, development serves it to local clients only (clientip.Client.Local)
// and production to nobody. A request let in by a session cookie must also
// be same-origin when it is not GET/HEAD/OPTIONS (CSRF).
// Routes that need no credential but change state for a browser (login,
// logout) use NotCrossSite, which refuses what a browser marks cross-site.
//
// Other packages mount their routes behind those guards without editing
// this one:
//
//	opts.Routes = append(opts.Routes, func(r *mux.Router, g httpapi.Guards) {
//		api := r.PathPrefix("/api/v1/tws").Subrouter()
//		api.Use(mux.MiddlewareFunc(g.Operator))
//		api.HandleFunc("/status", tws.status).Methods(http.MethodGet)
//	})
//
// Every answer carries X-Content-Type-Options: nosniff and a
// Content-Security-Policy that loads nothing and forbids framing; a page
// sets its own policy admitting exactly its embedded assets (as the
// dashboard does, by hash) and keeps frame-ancestors 'none'. Request bodies
// are at most MaxBody and must arrive within BodyTimeout; handlers read them
// with ReadJSON.
//
// Options.Session is the hook for server-side sessions (filled by the
// session store): it reports whether a request carries a valid admin session.
package httpapi
