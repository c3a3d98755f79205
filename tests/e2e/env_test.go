//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// envKeyDeleted: the env file says what applies. A key deleted from
// /etc/resync/env returns to its default on reload; one set by a drop-in's
// Environment= still applies, and the file wins over it while it has the key.
// (With the unit's former EnvironmentFile=, a deleted RESYNC_WORKERS stayed.)
func envKeyDeleted(t *testing.T, c *container) {
	def := status(t, c).Target // the packaged file sets nothing: the default
	c.must("cp", "/etc/resync/env", "/tmp/env.keydel")
	dropIn := "/etc/systemd/system/resync.service.d/e2e-workers.conf"
	defer func() {
		c.must("cp", "/tmp/env.keydel", "/etc/resync/env")
		if _, err := c.run("test", "-e", dropIn); err == nil {
			c.must("rm", dropIn)
			c.must("systemctl", "daemon-reload")
			c.must("systemctl", "restart", "resync")
		} else {
			c.must("systemctl", "reload", "resync")
		}
	}()
	setKey := func(n int) {
		c.must("sh", "-c", fmt.Sprintf("cp /tmp/env.keydel /etc/resync/env && echo RESYNC_WORKERS=%d >> /etc/resync/env", n))
	}
	deleteKey := func() { c.must("cp", "/tmp/env.keydel", "/etc/resync/env") }
	expect := func(what string, want int) {
		t.Helper()
		waitFor(t, 30*time.Second, what, func() error {
			s := status(t, c)
			if s.Target != want || len(ready(s)) != want {
				return fmt.Errorf("%s: target %d, %d ready; want %d", what, s.Target, len(ready(s)), want)
			}
			return nil
		})
		t.Logf("%s: %d workers", what, want)
	}

	setKey(def + 1)
	c.must("systemctl", "reload", "resync")
	expect("file sets RESYNC_WORKERS, reload", def+1)
	deleteKey()
	c.must("systemctl", "reload", "resync")
	expect("key deleted from the file, reload: the default", def)
	if out := c.must("resync", "status"); !strings.Contains(out, "ready") {
		t.Errorf("resync status shows no ready worker:\n%s", out)
	}

	c.must("mkdir", "-p", filepath.Dir(dropIn))
	c.must("sh", "-c", fmt.Sprintf("printf '[Service]\\nEnvironment=RESYNC_WORKERS=%d\\n' > %s", def+2, dropIn))
	c.must("systemctl", "daemon-reload")
	c.must("systemctl", "restart", "resync")
	expect("drop-in Environment=RESYNC_WORKERS", def+2)
	setKey(def + 1)
	c.must("systemctl", "reload", "resync")
	expect("file and drop-in both set it: the file wins", def+1)
	deleteKey()
	c.must("systemctl", "reload", "resync")
	expect("key deleted from the file: the drop-in's value", def+2)
}

// parityCases are env files of edge cases, each setting K; resync reads K as
// RESYNC_TWS_USER (a free-text setting). strict: resync refuses the file on
// purpose, where systemd reads something (resync.env(5) says so).
var parityCases = []struct {
	name, text string
	strict     bool
}{
	{name: "plain", text: "K=plain\n"},
	{name: "whitespace", text: "  K  =   spaced   value   \n"},
	{name: "single-quotes", text: "K='a b \"c\" $d \\n'\n"},
	{name: "double-quotes", text: "K=\"a \\\"b\\\" \\\\ \\$c \\x `d`\"\n"},
	{name: "concatenated", text: "K=\"dq\"bare'sq'\n"},
	{name: "continuation", text: "K=first \\\nsecond\n"},
	{name: "continuation-in-quotes", text: "K=\"multi \\\nline\"\n"},
	{name: "crlf", text: "# comment\r\nK=crlf value\r\n"},
	{name: "comments", text: "# K=hash\n; K=semicolon\n   # K=indented\nK=kept # not a comment\n"},
	{name: "bare-escapes", text: "K=a\\ b\\\\c\\$d\n"},
	{name: "repeated", text: "K=first\nK=last\n"},
	{name: "empty", text: "K=\n"},
	{name: "quote-inside-bare", text: "K=it's\"here\n"},
	{name: "newline-in-quotes", text: "K=\"two\nlines\"\n"},
	{name: "unterminated-quote", text: "K=\"open\n", strict: true},
	{name: "no-equals", text: "K=set\nK\n", strict: true},
}

// envParity compares, case by case, what systemd's own parser reads
// (systemd-run -p EnvironmentFile=F env -0) with what `resync check` reads.
// resync's reading is fed back through systemd (K=<value as resync check
// prints it>) so both are compared as systemd sees them, which checks
// resync check's quoting too.
func envParity(t *testing.T, c *container) {
	dir := "/root/envparity"
	host := fmt.Sprintf("/proc/%d/root%s", c.leader, dir)
	c.must("mkdir", "-p", dir)
	defer c.run("rm", "-rf", dir)
	version := strings.Fields(c.must("systemctl", "--version"))[1]

	var sdArgs, roundTrip []string
	resyncSays := map[string]string{}
	for i, pc := range parityCases {
		key := fmt.Sprintf("CASE_%d", i)
		write(t, filepath.Join(host, key), strings.ReplaceAll(pc.text, "K", key))
		write(t, filepath.Join(host, key+".resync"), strings.ReplaceAll(pc.text, "K", "RESYNC_TWS_USER"))
		sdArgs = append(sdArgs, "-p", "EnvironmentFile="+dir+"/"+key)
		out, err := c.run("resync", "check", "--env-file", dir+"/"+key+".resync")
		if pc.strict {
			if err == nil || !strings.Contains(err.Error(), dir+"/"+key+".resync:") {
				t.Errorf("%s: resync check should refuse it naming file:line; got %v\n%s", pc.name, err, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: resync check: %v", pc.name, err)
			continue
		}
		v, ok := checkValue(out, "RESYNC_TWS_USER")
		if !ok {
			t.Errorf("%s: no RESYNC_TWS_USER in resync check's output:\n%s", pc.name, out)
			continue
		}
		resyncSays[key] = v
		roundTrip = append(roundTrip, key+"="+v)
	}
	write(t, filepath.Join(host, "roundtrip"), strings.Join(roundTrip, "\n")+"\n")

	systemd := sdEnv(t, c, sdArgs...)
	again := sdEnv(t, c, "-p", "EnvironmentFile="+dir+"/roundtrip")
	for i, pc := range parityCases {
		key := fmt.Sprintf("CASE_%d", i)
		sv, sok := systemd[key]
		if pc.strict {
			t.Logf("%-24s systemd %s reads %q (set: %v); resync refuses the file", pc.name, version, sv, sok)
			continue
		}
		rv, rok := again[key]
		if _, printed := resyncSays[key]; !printed {
			continue
		}
		if sv != rv || sok != rok {
			t.Errorf("%s: %q: systemd %s reads %q (set: %v), resync reads %q (set: %v)", pc.name, pc.text, version, sv, sok, rv, rok)
		}
	}
}

// sdEnv runs env -0 in a transient service with the given properties and
// returns the CASE_ variables it saw.
func sdEnv(t *testing.T, c *container, props ...string) map[string]string {
	t.Helper()
	args := append([]string{"systemd-run", "--wait", "-P", "-q"}, props...)
	out := c.must(append(args, "env", "-0")...)
	vars := map[string]string{}
	for kv := range strings.SplitSeq(out, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CASE_") {
			vars[k] = v
		}
	}
	return vars
}

// checkValue finds KEY=value in `resync check`'s output and returns the value
// as printed: bare (no blank in it) or double-quoted with backslash escapes.
func checkValue(out, key string) (string, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `=`).FindStringIndex(out)
	if m == nil {
		return "", false
	}
	rest := out[m[1]:]
	if !strings.HasPrefix(rest, `"`) {
		end := strings.IndexAny(rest, " \t\n")
		if end < 0 {
			end = len(rest)
		}
		return rest[:end], true
	}
	for i := 1; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case '"':
			return rest[:i+1], true
		}
	}
	return "", false
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
