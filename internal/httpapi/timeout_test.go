package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A handler that ignores its deadline and keeps setting headers and writing:
// the client still gets the 503 at the deadline, and under -race the timer's
// response must not race the handler.
func TestTimeoutAnswers503WhileHandlerRuns(t *testing.T) {
	release := make(chan struct{})
	h := Begin(50*time.Millisecond, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // the context is cancelled at the deadline
		for i := 0; i < 100; i++ {
			w.Header().Set("X-Late", "1")
		}
		if _, err := w.Write([]byte("late")); err != http.ErrHandlerTimeout {
			t.Errorf("late write: %v, want ErrHandlerTimeout", err)
		}
		<-release
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release)

	start := time.Now()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body) // Content-Length lets this end before the handler does
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "timed out") {
		t.Fatalf("got %d %q, want 503 timed out", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Late") != "" {
		t.Error("a header set after the deadline reached the client")
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("503 arrived after %s: it waited for the handler", waited)
	}
}

func TestTimeoutLeavesFastResponsesAlone(t *testing.T) {
	h := Begin(time.Second, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Mine", "yes")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("tea"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusTeapot || rec.Body.String() != "tea" || rec.Header().Get("X-Mine") != "yes" {
		t.Fatalf("got %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}

// A stream lifts the deadline: it outlives RESYNC_TIMEOUT with its context
// intact, and reaches Hijack through the timeout writer.
func TestUnboundedOutlivesTimeout(t *testing.T) {
	done := make(chan error, 1)
	h := Begin(20*time.Millisecond, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Unbounded(w) {
			done <- errors.New("Unbounded refused before the deadline")
			return
		}
		select {
		case <-r.Context().Done():
			done <- errors.New("context cancelled after Unbounded")
			return
		case <-time.After(200 * time.Millisecond): // ten deadlines
		}
		if _, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok {
			done <- errors.New("timeout writer does not unwrap")
			return
		}
		_, err := w.Write([]byte("still here"))
		done <- err
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != "still here" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}
