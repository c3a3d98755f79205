//go:build testhooks

package httpapi

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/gorilla/mux"
)

// held keeps /debug/alloc's memory alive.
var held [][]byte

// Routes that let the integration tests make a request slow or make it
// panic, and reach each role's guard.
// Built only with -tags testhooks; a release binary has none of them.
func init() {
	testRoutes = func(r *mux.Router, g Guards) {
		// One route per role, so that access is tested for a role before
		// (and beside) the real routes that use it.
		ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"access": "granted"})
		})
		r.Handle("/debug/admin", g.Admin(ok))
		r.Handle("/debug/operator", g.Operator(ok))
		r.HandleFunc("/debug/sleep", func(w http.ResponseWriter, req *http.Request) {
			d, _ := time.ParseDuration(req.URL.Query().Get("d"))
			select {
			case <-time.After(d):
				writeJSON(w, http.StatusOK, map[string]string{"slept": d.String()})
			case <-req.Context().Done():
			}
		})
		r.HandleFunc("/debug/panic", func(http.ResponseWriter, *http.Request) {
			panic("test panic")
		})
		// Which worker answered and how many goroutines it runs: the
		// fault tests compare them before and after a Redis outage.
		r.HandleFunc("/debug/goroutines", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]int{"pid": os.Getpid(), "goroutines": runtime.NumGoroutine()})
		})
		r.HandleFunc("/debug/alloc", func(w http.ResponseWriter, req *http.Request) {
			mb, _ := strconv.Atoi(req.URL.Query().Get("mb"))
			b := make([]byte, mb<<20)
			for i := range b {
				b[i] = 1 // touch every page so it counts in RSS
			}
			held = append(held, b)
			writeJSON(w, http.StatusOK, map[string]int{"held_mb": mb})
		})
	}
}
