package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Many requests at once, some past the deadline and some not: each slow one
// gets its 503 and a cancelled context (seen through a child context, as a
// client library makes one), each quick one its own answer, and the sweep
// stops once nothing is in flight.
func TestDeadlinesSweepManyRequests(t *testing.T) {
	var h http.Handler
	h = Begin(30*time.Millisecond, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/quick" {
			w.Write([]byte("quick"))
			return
		}
		child, cancel := context.WithCancel(r.Context())
		defer cancel()
		<-child.Done()
		if !errors.Is(r.Context().Err(), context.Canceled) || !errors.Is(context.Cause(r.Context()), context.Canceled) {
			t.Errorf("after the deadline: Err %v, Cause %v", r.Context().Err(), context.Cause(r.Context()))
		}
		if CorrelationID(r.Context()) == "" {
			t.Error("no correlation id in the request context")
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		path := "/slow"
		if i%2 == 0 {
			path = "/quick"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := http.StatusOK
			if path == "/slow" {
				want = http.StatusServiceUnavailable
			}
			if resp.StatusCode != want {
				t.Errorf("%s: %d %q, want %d", path, resp.StatusCode, body, want)
			}
		}()
	}
	wg.Wait()
}

// A handler that returns at its deadline without writing: whichever of the
// sweep and the return comes first, the sweep never writes to a finished
// response (-race would see it) and the client gets one answer.
func TestDeadlineRacesReturn(t *testing.T) {
	h := Begin(2*time.Millisecond, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for i := 0; i < 50; i++ {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("got %d", resp.StatusCode)
		}
	}
}

// http.ErrAbortHandler goes through as a panic: the request leaves the
// deadline list all the same, and its deadline passing later is harmless.
func TestDeadlineAbortedHandler(t *testing.T) {
	dl := newDeadlines(20 * time.Millisecond)
	tw := &timeoutWriter{w: httptest.NewRecorder(), ctx: newReqCtx(context.Background(), "x"), dl: dl}
	func() {
		defer func() { recover() }()
		r := httptest.NewRequest("GET", "/", nil)
		serveWithin(tw.ctx, dl, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }), tw.w, r)
	}()
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if dl.head != nil {
		t.Fatal("an aborted request stayed on the deadline list")
	}
}

// The context a handler gets without asking for Done is the parent's: it
// is cancelled when the parent is (the client went away).
func TestRequestContextFollowsParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := newReqCtx(parent, "id")
	if c.Err() != nil {
		t.Fatal("cancelled too early")
	}
	cancel()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("Err %v after the parent's cancel", c.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done never closed after the parent's cancel")
	}
}

// The health routes served before mux: GET and HEAD served, another method
// 405 with Allow on each of them, whatever order mux holds them in; other
// paths still reach mux.
func TestExactRoutes(t *testing.T) {
	h := served(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, time.Minute, 0)
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/api/v1/health/live", 200},
		{"HEAD", "/api/v1/health/live", 200},
		{"GET", "/api/v1/health/startup", 200},
		{"GET", "/api/v1/health/ready", 200},
		{"POST", "/api/v1/health/live", 405},
		{"PUT", "/api/v1/health/ready", 405},
		{"DELETE", "/api/v1/health/startup", 405},
		{"GET", "/api/v1/health/live/", 404},
		{"GET", "/api/v1/health/nothing", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.code)
		}
		if c.code == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", c.method, c.path, rec.Header().Get("Allow"))
		}
		if rec.Header().Get(HeaderCorrelationID) == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: the chain's headers are missing: %v", c.method, c.path, rec.Header())
		}
	}
}
