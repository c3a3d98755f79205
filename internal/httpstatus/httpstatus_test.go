package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestStatusBytesAndFlush(t *testing.T) {
	rec := httptest.NewRecorder()
	w := Get(rec, nil)
	defer Put(w)
	w.WriteHeader(http.StatusTeapot)
	_, _ = w.Write([]byte("short and stout"))
	if w.Status != http.StatusTeapot || w.Bytes != 15 {
		t.Errorf("status %d, %d bytes", w.Status, w.Bytes)
	}
	if http.NewResponseController(w).Flush() != nil || !rec.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
}

func TestBodyWithoutHeaderIs200(t *testing.T) {
	w := Get(httptest.NewRecorder(), nil)
	defer Put(w)
	_, _ = w.Write([]byte("x"))
	if w.Status != http.StatusOK {
		t.Errorf("status %d", w.Status)
	}
}

// A 103 Early Hints before the real answer is not the status, and the
// header hook waits for the final one.
func TestInterimCode(t *testing.T) {
	calls := 0
	w := Get(httptest.NewRecorder(), func(http.Header) { calls++ })
	defer Put(w)
	w.WriteHeader(http.StatusEarlyHints)
	if calls != 0 {
		t.Error("BeforeHeader ran for a 103")
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte("x"))
	if w.Status != http.StatusCreated || calls != 1 {
		t.Errorf("status %d, BeforeHeader ran %d times; want 201, once", w.Status, calls)
	}
}
