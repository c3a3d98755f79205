package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// plainServe is the plainest Go server of the same endpoint and answer: one
// process, net/http's defaults, no middleware — the bound resync is held to.
// With no address it serves the socket at fd 3 (LISTEN_FDS, as systemd passes it).
func plainServe(addr string) error {
	var l net.Listener
	var err error
	if addr == "" {
		f := os.NewFile(3, "http")
		l, err = net.FileListener(f)
		f.Close()
	} else {
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health/live", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"alive","timestamp":%q}`+"\n", time.Now().UTC().Format(time.RFC3339Nano))
	})
	// The cached TWS status: the answer resync gave, served from memory.
	if body, err := os.ReadFile(os.Getenv(envTWSBody)); err == nil {
		mux.HandleFunc("GET "+twsPath, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
	}
	return http.Serve(l, mux)
}
