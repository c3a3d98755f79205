package httpapi

import "net/http"

// exactRoutes serves a few fixed paths for GET and HEAD before gorilla/mux:
// mux tries a regexp per route, in order, and copies the request to carry
// the matched route, which cost about 4 % of a worker's CPU on the health
// probes — the hottest path, hit by every load balancer. Another method on
// these paths is 405 with Allow; every other path goes on to mux
// (templates, subrouters), where the same routes are registered too.
//
// A path served here skips the root router's middleware (Options.Limit):
// only routes that middleware exempts belong here (the rate limits exempt
// /api/v1/health/).
type exactRoutes struct {
	paths map[string]http.Handler
	next  http.Handler
}

func (e *exactRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, ok := e.paths[r.URL.Path]
	switch {
	case !ok:
		e.next.ServeHTTP(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		h.ServeHTTP(w, r)
	default:
		// Answered here, not by mux: mux says 405 only for the last route
		// of a subrouter whose path matches and 404 for the others.
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}
