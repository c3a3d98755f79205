package httpapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
)

type fakeMaster struct{}

func (fakeMaster) Call(string) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }

// bodyServer serves New with a /echo route that reads a JSON body.
func bodyServer(t *testing.T, bodyTimeout time.Duration) *httptest.Server {
	o := Options{Master: fakeMaster{}}
	o.Routes = append(o.Routes, func(r *mux.Router, g Guards) {
		r.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
			var v map[string]any
			if ReadJSON(w, r, &v) {
				writeJSON(w, http.StatusOK, v)
			}
		}).Methods(http.MethodPost)
	})
	srv := httptest.NewServer(served(o, 10*time.Second, bodyTimeout))
	t.Cleanup(srv.Close)
	return srv
}

func TestSecurityHeaders(t *testing.T) {
	srv := bodyServer(t, 0)
	for _, path := range []string{"/api/v1/health/live", "/api/v1/metrics", "/nope", "/api/v1/metrics/dashboard"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: nosniff %q, CSP %q", path, resp.Header.Get("X-Content-Type-Options"), csp)
		}
		// The dashboard keeps its own policy, which admits its inline assets by hash.
		if dash := strings.HasSuffix(path, "/dashboard"); dash != strings.Contains(csp, "'sha256-") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
}

func TestBodyLimits(t *testing.T) {
	srv := bodyServer(t, 200*time.Millisecond)
	post := func(body io.Reader, size int64) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/echo", body)
		req.ContentLength = size
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(strings.NewReader(`{"a":1}`), 7); code != 200 || !strings.Contains(body, `"a":1`) {
		t.Errorf("small body: %d %s", code, body)
	}
	big := `{"a":"` + strings.Repeat("x", MaxBody) + `"}`
	if code, body := post(strings.NewReader(big), int64(len(big))); code != 413 {
		t.Errorf("Content-Length over the limit: %d %s", code, body)
	}
	// Chunked: no Content-Length, so the limit bites while reading.
	if code, body := post(io.MultiReader(strings.NewReader(big)), -1); code != 413 {
		t.Errorf("chunked body over the limit: %d %s", code, body)
	}
	// A route that reads no body still refuses a huge one up front.
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/metrics/gc", strings.NewReader(big))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 413 {
		t.Errorf("gc with a big body: %v %v", resp, err)
	}
	if code, body := post(strings.NewReader(`{"password":"hunter2"`), -1); code != 400 || strings.Contains(body, "hunter2") {
		t.Errorf("malformed body: %d %s", code, body)
	}
}

// A client that sends its headers and then trickles the body is cut off at
// the body deadline, not at the request timeout.
func TestSlowBody(t *testing.T) {
	srv := bodyServer(t, 200*time.Millisecond)
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"a\":"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second)) // far past the body deadline: a hang fails here
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body after %s: %v", time.Since(start), err)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("trickled body: %d, want 408", resp.StatusCode)
	}
}
