//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// noDebugRoutes: the packaged binary is built without the testhooks tag, so
// the test-only /debug/* routes (slow requests, panics, memory, a route per
// role) do not exist in it: 404, and nothing done.
func noDebugRoutes(t *testing.T) {
	for _, path := range []string{"/debug/sleep?d=1s", "/debug/panic", "/debug/alloc?mb=64", "/debug/admin", "/debug/operator"} {
		resp, err := fresh.Get(base + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the packaged binary: %d %s, want 404", path, resp.StatusCode, body)
		}
	}
}

// secretsNotInJournal: with tokens configured, requests carrying each of
// them (and a wrong one, and a session cookie) leave no trace of them in the
// real journal, whose records come from journald's native protocol; `resync
// check` inside the container prints them masked.
func secretsNotInJournal(t *testing.T, c *container) {
	const admin, op, wrong, sess = "e2e-Adm1n-T0ken-5a6b", "e2e-0per-T0ken-7c8d", "e2e-Wr0ng-T0ken-9e0f", "e2e-Sess10n-a1b2"
	c.must("sh", "-c", "cp /etc/resync/env /tmp/env.secrets && printf 'RESYNC_ADMIN_TOKEN=%s\\nRESYNC_API_TOKENS=%s\\n' "+
		admin+" "+op+" >> /etc/resync/env")
	defer func() {
		c.must("cp", "/tmp/env.secrets", "/etc/resync/env")
		c.must("systemctl", "reload", "resync")
	}()
	c.must("systemctl", "reload", "resync")
	id := fmt.Sprintf("e2e-secrets-%d", time.Now().UnixNano())
	do := func(path string, h ...string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("X-Correlation-ID", id)
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := fresh.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := do("/api/v1/workers", "Authorization", "Bearer "+admin); code != 200 {
		t.Errorf("admin token after reload: %d, want 200", code)
	}
	if code := do("/api/v1/workers", "Authorization", "Bearer "+wrong); code != 401 {
		t.Errorf("wrong token: %d, want 401", code)
	}
	// journald rate-limits each unit (10000 messages per 30 s by default).
	// The load stages before this one write far more access records than
	// that on a fast machine, so journald may still be suppressing resync's
	// records: each attempt sends the secrets again, until the journal holds
	// records of them, past one whole suppression window.
	var out string
	waitFor(t, 75*time.Second, "the access records in the journal", func() error {
		do("/api/v1/workers", "Authorization", "Bearer "+admin)
		do("/api/v1/workers", "Authorization", "Bearer "+wrong)
		do("/api/v1/tws/status", "Authorization", "Bearer "+op)
		do("/api/v1/workers", "Cookie", "resync_session="+sess)
		out, _ = c.run("journalctl", "-u", "resync", "-o", "json", "--no-pager")
		if n := strings.Count(out, id); n < 4 {
			return fmt.Errorf("%d access records with correlation id %s", n, id)
		}
		return nil
	})
	if sup, _ := c.run("sh", "-c", "journalctl --no-pager -u systemd-journald | grep -c 'Suppressed.*resync' || true"); strings.TrimSpace(sup) != "0" {
		t.Logf("journald suppressed resync's messages %s times during the earlier load stages", strings.TrimSpace(sup))
	}
	check := c.must("resync", "check")
	for _, s := range []string{admin, op, wrong, sess} {
		if strings.Contains(out, s) {
			t.Errorf("the journal holds secret %q", s)
		}
		if strings.Contains(check, s) {
			t.Errorf("resync check prints secret %q", s)
		}
	}
	if !strings.Contains(check, "RESYNC_ADMIN_TOKEN=********") {
		t.Errorf("resync check does not show the admin token masked:\n%s", check)
	}
}
