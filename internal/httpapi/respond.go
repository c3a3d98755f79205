package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

var jsonType = []string{"application/json"}

// writeJSON answers with v as JSON, with a Content-Length, so that keep-alive
// clients need no chunked framing.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"detail":"cannot encode the answer"}`)
	}
	b = append(b, '\n')
	h := w.Header()
	h["Content-Type"] = jsonType // canonical keys, assigned: Set would check each
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// writeError answers in the shape FastAPI used, {"detail": …}, which clients
// of the Python resync already parse.
func writeError(w http.ResponseWriter, code int, detail string) {
	writeJSON(w, code, map[string]string{"detail": detail})
}
