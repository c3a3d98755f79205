package master

import (
	"os/exec"
	"strings"
	"testing"
)

// The supervisor must keep running when Redis, HWA or the HTTP stack misbehave,
// so it must not even link them: of this module it may use only what it is
// wired with, and no HTTP or Redis at all. An allow-list, so that a package
// added later is refused until someone decides otherwise.
func TestMasterDoesNotImportServingCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/resync/resync/internal/"
	allowed := map[string]bool{"config": true, "control": true, "protocol": true, "sdnotify": true, "master": true}
	seen := map[string]bool{}
	for _, dep := range strings.Fields(string(out)) {
		if name, ok := strings.CutPrefix(dep, module); ok {
			seen[name] = true
			if !allowed[name] {
				t.Errorf("internal/master depends on %s", dep)
			}
		}
		if dep == "net/http" || strings.HasPrefix(dep, "github.com/redis/") {
			t.Errorf("internal/master depends on %s", dep)
		}
	}
	for name := range allowed {
		if !seen[name] {
			t.Errorf("allowed package internal/%s is not a dependency: drop it from the list", name)
		}
	}
}
