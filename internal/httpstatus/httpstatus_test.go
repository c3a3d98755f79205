package httpstatus

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The inner of two middlewares finds the outer's Writer: one record, read by both.
func TestWrapOnce(t *testing.T) {
	rec := httptest.NewRecorder()
	outer, releaseOuter := Wrap(rec)
	inner, releaseInner := Wrap(outer)
	if inner != outer {
		t.Fatal("the inner Wrap made a second Writer")
	}
	inner.WriteHeader(http.StatusTeapot)
	_, _ = inner.Write([]byte("short and stout"))
	releaseInner()
	if outer.Status != http.StatusTeapot || outer.Bytes != 15 || outer.ResponseWriter == nil {
		t.Errorf("status %d, %d bytes, writer %v", outer.Status, outer.Bytes, outer.ResponseWriter)
	}
	if http.NewResponseController(outer).Flush() != nil || !rec.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
	releaseOuter()
}

func TestBodyWithoutHeaderIs200(t *testing.T) {
	w, release := Wrap(httptest.NewRecorder())
	defer release()
	_, _ = w.Write([]byte("x"))
	if w.Status != http.StatusOK {
		t.Errorf("status %d", w.Status)
	}
}
