package monitoring

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/resync/resync/internal/httpapi"
)

// Without Redis nothing runs, and every route and the readiness check say why.
func TestWithoutRedisEveryRouteSaysWhy(t *testing.T) {
	svc := New(Options{})
	svc.Start()
	defer svc.Drain()
	r := mux.NewRouter()
	svc.Mount(r, httpapi.Guards{})
	for _, path := range []string{"/api/v1/monitoring/status", "/api/v1/monitoring/events", "/api/v1/monitoring/ws",
		"/api/v1/monitoring/events/stream"} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "RESYNC_REDIS_URL is empty") {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	if res := svc.Probe(context.Background()); !errors.Is(res.Err, ErrNoRedis) || res.Critical {
		t.Fatalf("probe %+v", res)
	}
}
