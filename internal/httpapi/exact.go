package httpapi

import "net/http"

// exactRoutes serves a few fixed paths for GET and HEAD before gorilla/mux:
// mux tries a regexp per route, in order, and copies the request to carry
// the matched route, which cost about 4 % of a worker's CPU on the health
// probes — the hottest path, hit by every load balancer. Any other method
// on these paths, and every other path, goes on to mux (405, templates,
// subrouters), where the same routes are registered too.
//
// A path served here skips the root router's middleware (Options.Limit):
// only routes that middleware exempts belong here (the rate limits exempt
// /api/v1/health/).
type exactRoutes struct {
	paths map[string]http.Handler
	next  http.Handler
}

func (e *exactRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if h, ok := e.paths[r.URL.Path]; ok {
			h.ServeHTTP(w, r)
			return
		}
	}
	e.next.ServeHTTP(w, r)
}
