package integration

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/resync/resync/internal/browsertest"
)

// route is one guarded route and the role it needs.
type route struct {
	method, path, role string
}

// guardedRoutes are every route behind a guard that the binary serves. The
// /debug ones exist in the testhooks build only: one per role, so each role
// is tested whichever real routes use it. /api/v1/tws/status is the TWS
// API's (operator); a build without it answers 404 and the check says so.
var guardedRoutes = []route{
	{"GET", "/api/v1/workers", "admin"},
	{"POST", "/api/v1/metrics/gc", "admin"},
	{"GET", "/debug/admin", "admin"},
	{"GET", "/debug/operator", "operator"},
	{"GET", "/api/v1/tws/status", "operator"},
}

// dashboards are the browser pages resync serves.
var dashboards = []string{"/api/v1/metrics/dashboard"}

// answer is what a test client saw.
type answer struct {
	code   int
	body   string
	header http.Header
}

// send makes one request on a fresh connection from source address from
// ("" = any), with headers h. No retries: net/http retries nothing here
// (fresh connection, and it retries only idempotent requests on reused ones).
func send(t *testing.T, from, method, url string, h map[string]string) answer {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

// startNginx runs Debian's nginx in the foreground on a random loopback
// port, proxying everything to upstream as the shipped example does: Host
// kept, X-Forwarded-For appended, X-Real-IP set.
func startNginx(t *testing.T, upstream string) string {
	t.Helper()
	addr := freeAddr(t)
	runNginx(t, addr, fmt.Sprintf(`	server {
		listen %s;
		location / {
			proxy_pass http://%s;
			proxy_http_version 1.1;
			proxy_set_header Host $host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_set_header X-Real-IP $remote_addr;
		}
	}`, addr, upstream))
	return addr
}

// With no token in development, the guarded routes answer a direct loopback
// client and refuse the same client through a same-host proxy; forwarding
// headers, whatever they claim, never make a client local.
func TestAccessThroughSameHostProxy(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	proxy := startNginx(t, m.addr)
	via := func(path string) string { return "http://" + proxy + path }

	if a := send(t, "", "GET", via("/api/v1/health/live"), nil); a.code != 200 {
		t.Fatalf("health through nginx: %d %s", a.code, a.body)
	}
	for _, r := range guardedRoutes {
		direct := send(t, "", r.method, m.url(r.path), nil)
		if direct.code == 404 && strings.HasPrefix(r.path, "/api/v1/tws/") {
			t.Logf("%s %s: not in this build (404); skipped", r.method, r.path)
			continue
		}
		// Access is what is tested: a TWS route may answer 502-504 when its
		// upstream (the embedded simulator) is slow, but never 401 or 403.
		if direct.code == 401 || direct.code == 403 || (direct.code != 200 && !strings.HasPrefix(r.path, "/api/v1/tws/")) {
			t.Errorf("%s %s direct from loopback: %d %s, want it served", r.method, r.path, direct.code, direct.body)
		}
		proxied := send(t, "", r.method, via(r.path), nil)
		if proxied.code != 403 || !strings.Contains(proxied.body, "local clients only") {
			t.Errorf("%s %s through nginx: %d %s, want 403 naming the rule", r.method, r.path, proxied.code, proxied.body)
		}
		for _, spoof := range []map[string]string{
			{"X-Forwarded-For": "127.0.0.1"},
			{"X-Real-IP": "127.0.0.1"},
			{"Forwarded": "for=127.0.0.1"},
			{"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "::1", "Forwarded": `for="[::1]"`},
		} {
			if a := send(t, "", r.method, via(r.path), spoof); a.code != 403 {
				t.Errorf("%s %s through nginx with %v: %d, want 403", r.method, r.path, spoof, a.code)
			}
			// Direct, the headers come from the client itself: a forwarded
			// request is never local, whatever it claims.
			if a := send(t, "127.0.0.5", r.method, m.url(r.path), spoof); a.code != 403 {
				t.Errorf("%s %s direct with %v: %d, want 403", r.method, r.path, spoof, a.code)
			}
		}
	}
}

// Production with no token: closed to everyone, direct or proxied, and the
// answer names the setting; start warned.
func TestProductionWithoutTokenRefusesEveryone(t *testing.T) {
	// Production needs a Redis; the embedded one is enough here.
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_MODE=production", "RESYNC_REDIS_URL=embedded"}})
	m.waitReady(false)
	m.waitLog(`production mode without credentials: admin and operator endpoints are closed`, 10*time.Second)
	proxy := startNginx(t, m.addr)
	for _, r := range guardedRoutes {
		for _, base := range []string{"http://" + m.addr, "http://" + proxy} {
			a := send(t, "", r.method, base+r.path, nil)
			if a.code == 404 && strings.HasPrefix(r.path, "/api/v1/tws/") {
				continue
			}
			want := "RESYNC_ADMIN_TOKEN"
			if r.role == "operator" {
				want = "RESYNC_API_TOKENS"
			}
			if a.code != 403 || !strings.Contains(a.body, want) {
				t.Errorf("%s %s%s: %d %s, want 403 naming %s", r.method, base, r.path, a.code, a.body, want)
			}
		}
	}
	if a := send(t, "", "GET", m.url("/api/v1/health/live"), nil); a.code != 200 {
		t.Errorf("health in production: %d", a.code)
	}
}

// The identity the access log records: the peer, or behind a trusted proxy
// the client it forwarded; headers an untrusted peer sends change nothing,
// and a client behind the proxy cannot choose its address either.
func TestForwardedIdentity(t *testing.T) {
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2", "RESYNC_ACCESS_LOG=on",
		"RESYNC_TRUSTED_PROXIES=127.0.0.1", "RESYNC_LOG_FORMAT=text"}})
	m.waitReady(false)
	proxy := startNginx(t, m.addr)
	n := 0
	clientOf := func(from, base string, h map[string]string) string {
		t.Helper()
		n++
		id := fmt.Sprintf("ident-%d-%d", os.Getpid(), n)
		hh := map[string]string{"X-Correlation-ID": id}
		for k, v := range h {
			hh[k] = v
		}
		send(t, from, "GET", base+"/api/v1/health/live", hh)
		line := m.waitLog(`(?m)^(\S+) - - \[.*correlation_id=`+regexp.QuoteMeta(id)+`\b`, 10*time.Second)
		return line[1]
	}
	spoofs := []map[string]string{
		nil,
		{"X-Forwarded-For": "203.0.113.66"},
		{"X-Real-IP": "203.0.113.66"},
		{"Forwarded": "for=203.0.113.66"},
		{"X-Forwarded-For": "203.0.113.66, 127.0.0.1", "X-Real-IP": "203.0.113.66", "Forwarded": "for=203.0.113.66"},
	}
	for _, h := range spoofs {
		// 127.0.0.5 is not a trusted proxy: what it sends is ignored.
		if got := clientOf("127.0.0.5", "http://"+m.addr, h); got != "127.0.0.5" {
			t.Errorf("direct from 127.0.0.5 with %v: client %s, want 127.0.0.5", h, got)
		}
		// Through nginx (127.0.0.1, trusted) the client is who connected to
		// nginx, not what it wrote; a Forwarded header nginx passed on
		// unchanged disagrees with its X-Forwarded-For, so neither wins.
		got := clientOf("127.0.0.5", "http://"+proxy, h)
		want := "127.0.0.5"
		if h["Forwarded"] != "" {
			want = "127.0.0.1"
		}
		if got != want {
			t.Errorf("through nginx from 127.0.0.5 with %v: client %s, want %s", h, got, want)
		}
	}
}

// Every credential resync knows, sent on every route, appears in no sink:
// answers (bodies and headers), the master's output (the journal's records),
// the log file, the access log file, /api/v1/metrics and /metrics, and the
// output of resync check and resync doctor, which print secrets masked.
func TestSecretsStayOutOfEverySink(t *testing.T) {
	const (
		admin    = "adm1n-T0ken-9f3c2b"
		op1      = "0perator-T0ken-a71e"
		op2      = "0perator-T0ken-b82f"
		twsPass  = "tws-Passw0rd-c93d"
		sess     = "sess10n-1d-d04e5f"
		wrongTok = "wr0ng-T0ken-e15f60"
	)
	secrets := []string{admin, op1, op2, twsPass, sess, wrongTok,
		base64.StdEncoding.EncodeToString([]byte("ops:" + twsPass))}
	dir := t.TempDir()
	logFile, accessFile := filepath.Join(dir, "resync.log"), filepath.Join(dir, "access.log")
	env := []string{"RESYNC_WORKERS=2", "RESYNC_LOG_LEVEL=debug", "RESYNC_ACCESS_LOG=on",
		"RESYNC_LOG_FILE=" + logFile, "RESYNC_ACCESS_LOG_FILE=" + accessFile,
		"RESYNC_ADMIN_TOKEN=" + admin, "RESYNC_API_TOKENS=" + op1 + "," + op2,
		"RESYNC_TWS_URL=" + startHWASim(t, "ops", "the-sim-wants-another"), "RESYNC_TWS_USER=ops", "RESYNC_TWS_PASSWORD=" + twsPass}
	m := startMaster(t, opts{env: env})
	m.waitReady(false)

	var sinks []string // what was seen, searched at the end
	credentials := []map[string]string{
		{"Authorization": "Bearer " + admin},
		{"Authorization": "Bearer " + op1},
		{"Authorization": "Bearer " + op2},
		{"Authorization": "Bearer " + wrongTok},
		{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+twsPass))},
		{"Cookie": "resync_session=" + sess},
		{"Cookie": "resync_session=" + sess, "Origin": "https://evil.example"},
		{"Authorization": "Bearer " + admin + strings.Repeat("x", 9000)}, // 431 names the field, not its value
		{"X-Correlation-ID": "c-" + wrongTok[:4], "Authorization": "Bearer " + wrongTok},
	}
	paths := []route{{"GET", "/api/v1/health/live", ""}, {"GET", "/api/v1/health/ready", ""},
		{"GET", "/api/v1/metrics", ""}, {"GET", "/metrics", ""}, {"GET", "/nope", ""},
		{"DELETE", "/api/v1/workers", ""}, {"GET", "/debug/panic", ""}}
	paths = append(paths, guardedRoutes...)
	for _, d := range dashboards {
		paths = append(paths, route{"GET", d, ""})
	}
	for _, r := range paths {
		for _, h := range credentials {
			a := send(t, "", r.method, m.url(r.path), h)
			sinks = append(sinks, fmt.Sprintf("answer to %s %s: %d %v %s", r.method, r.path, a.code, a.header, a.body))
		}
	}
	// The engine refuses resync's password: the answer is 502, and says so
	// without the password or the Basic credentials it sent.
	tws := send(t, "", "GET", m.url("/api/v1/tws/status"), map[string]string{"Authorization": "Bearer " + op1})
	if tws.code != http.StatusBadGateway {
		t.Errorf("TWS status with the engine refusing the password: %d %s, want 502", tws.code, tws.body)
	}
	sinks = append(sinks, "answer to an upstream 401: "+tws.body)
	for _, p := range []string{"/api/v1/metrics", "/metrics", "/api/v1/workers"} {
		a := send(t, "", "GET", m.url(p), map[string]string{"Authorization": "Bearer " + admin})
		sinks = append(sinks, p+": "+a.body)
	}

	// resync check and resync doctor read the same settings from an env file;
	// check also reports a bad value of each secret, masked.
	envFile := filepath.Join(dir, "env")
	writeFile(t, envFile, strings.Join(env, "\n")+"\n")
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RESYNC_ENV_FILE=" + envFile, "RESYNC_RUNTIME_DIR=" + m.runtime}
		out, _ := cmd.CombinedOutput()
		return fmt.Sprintf("resync %s:\n%s", strings.Join(args, " "), out)
	}
	check := run("check")
	if !strings.Contains(check, "RESYNC_ADMIN_TOKEN=********") || !strings.Contains(check, "RESYNC_API_TOKENS=********") ||
		!strings.Contains(check, "RESYNC_TWS_PASSWORD=********") {
		t.Errorf("resync check does not show the secrets masked:\n%s", check)
	}
	sinks = append(sinks, check, run("doctor", "--url", "http://"+m.addr))
	writeFile(t, envFile, "RESYNC_ADMIN_TOKEN="+admin+" x\nRESYNC_API_TOKENS="+op1+",\x01"+op2+"\nRESYNC_TWS_PASSWORD\n")
	bad := run("check")
	if !strings.Contains(bad, "RESYNC_ADMIN_TOKEN") {
		t.Errorf("resync check of bad secrets names no key:\n%s", bad)
	}
	sinks = append(sinks, bad)

	// Stop the master so every log record is flushed, then read the logs.
	m.signal(syscall.SIGTERM)
	m.waitExit(30 * time.Second)
	for _, f := range []string{logFile, accessFile} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty: nothing was searched", f)
		}
		sinks = append(sinks, f+":\n"+string(b))
	}
	sinks = append(sinks, "master output:\n"+m.log.String())
	if !strings.Contains(m.log.String(), "/debug/panic") {
		t.Error("the master output has no record of the requests: nothing was searched")
	}

	for _, sink := range sinks {
		for _, s := range secrets {
			if i := strings.Index(sink, s); i >= 0 {
				t.Errorf("secret %q found in %s", s, sink[:min(len(sink), 200)])
			}
		}
	}
}

// The security headers as the browser gets them, on each dashboard and on a
// JSON answer; and the dashboard's policy is enforced: a script injected into
// the page does not run.
func TestSecurityHeadersInBrowser(t *testing.T) {
	b := browsertest.Open(t, 90*time.Second)
	m := startMaster(t, opts{env: []string{"RESYNC_WORKERS=2"}})
	m.waitReady(false)
	for _, d := range append(dashboards, "/api/v1/metrics") {
		resp, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(m.url(d)))
		if err != nil {
			t.Fatalf("load %s: %v", d, err)
		}
		csp, _ := resp.Headers["Content-Security-Policy"].(string)
		if resp.Headers["X-Content-Type-Options"] != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: headers %v", d, resp.Headers)
		}
		if strings.HasSuffix(d, "/dashboard") {
			for _, want := range []string{"default-src 'none'", "connect-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q lacks %q", d, csp, want)
				}
			}
			if problems := b.Problems(); len(problems) > 0 {
				t.Errorf("%s: the page's own assets broke its policy:\n%s", d, strings.Join(problems, "\n"))
			}
			ran, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`new Promise(done => {
				const s = document.createElement("script");
				s.textContent = "window.__injected = true";
				document.addEventListener("securitypolicyviolation", () => done(window.__injected === true), {once: true});
				document.head.appendChild(s);
				setTimeout(() => done(true), 5000); // no violation reported: treat as ran
			})`, chromedp.EvalAwaitPromise))
			if err != nil || ran {
				t.Errorf("%s: an injected inline script ran (or no violation was reported): %v", d, err)
			}
		}
	}
}

// startHWASim runs `resync hwa-sim` on a random port with Basic auth
// user:password and returns its URL.
func startHWASim(t *testing.T, user, password string) string {
	t.Helper()
	cmd := exec.Command(binary, "hwa-sim", "--listen", "127.0.0.1:0", "--user", user, "--password", password,
		"--jobs", "50", "--tick", "0")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var url string
	waitUntil(t, 15*time.Second, "hwa-sim listening", func() bool {
		m := regexp.MustCompile(`hwa-sim listening on (\S+)`).FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	return url
}
