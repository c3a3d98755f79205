package master

import (
	"os/exec"
	"strings"
	"testing"
)

// The supervisor must keep running when Redis, HWA or the HTTP stack misbehave,
// so it must not even link them: it reaches them through its interfaces only.
func TestMasterDoesNotImportServingCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "net/http",
			strings.HasPrefix(dep, "github.com/redis/"),
			strings.HasSuffix(dep, "/internal/httpapi"),
			strings.HasSuffix(dep, "/internal/logging"),
			strings.HasSuffix(dep, "/internal/metrics"),
			strings.HasSuffix(dep, "/internal/hwa"),
			strings.HasSuffix(dep, "/internal/redisstate"):
			t.Errorf("internal/master depends on %s", dep)
		}
	}
}
