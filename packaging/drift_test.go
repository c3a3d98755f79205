// Package packaging_test keeps the shipped files in step with internal/config:
// /etc/resync/env is config.Template's output, and resync.env(5) documents
// every setting with its default. `go test ./packaging -update` rewrites env.
package packaging_test

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/resync/resync/internal/config"
)

var update = flag.Bool("update", false, "rewrite packaging/env from config.Template")

func TestEnvFileIsTemplate(t *testing.T) {
	var want bytes.Buffer
	config.Template(&want)
	if *update {
		if err := os.WriteFile("env", want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("env")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("packaging/env differs from config.Template; run: go test ./packaging -update\n--- want\n%s", want.String())
	}
}

// TestEnvFileLoads proves the shipped file is valid as shipped: every line a
// comment, so loading it gives the defaults.
func TestEnvFileLoads(t *testing.T) {
	got, err := config.Load([]string{"RESYNC_ENV_FILE=env"})
	if err != nil {
		t.Fatalf("load packaging/env: %v", err)
	}
	want, err := config.Load([]string{"RESYNC_ENV_FILE="})
	if err != nil {
		t.Fatal(err)
	}
	got.EnvFile, want.EnvFile = "", ""
	if strings.Join(got.Environ(), "\n") != strings.Join(want.Environ(), "\n") {
		t.Fatalf("packaging/env does not load to the defaults:\n%v\nwant\n%v", got.Environ(), want.Environ())
	}
}

// defaults returns every setting's default as the template writes it,
// including the env-only RESYNC_ENV_FILE that the template leaves out.
func defaults(t *testing.T) map[string]string {
	t.Helper()
	var buf bytes.Buffer
	config.Template(&buf)
	out := map[string]string{"RESYNC_ENV_FILE": config.DefaultEnvFile}
	line := regexp.MustCompile(`^#(RESYNC_[A-Z_]+)=(.*)$`)
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		if m := line.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]] = m[2]
		}
	}
	for _, kv := range config.Default().Environ() {
		key, _, _ := strings.Cut(kv, "=")
		if _, ok := out[key]; !ok {
			t.Fatalf("setting %s is in config.Environ but not in config.Template", key)
		}
	}
	return out
}

// TestManPageDocumentsEverySetting checks resync.env(5): each setting has an
// entry "**KEY**=*default*" (an empty default: nothing after "=") with the default the
// code uses, and no entry names a setting the code does not have.
func TestManPageDocumentsEverySetting(t *testing.T) {
	src, err := os.ReadFile("../man/resync.env.5.md")
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`(?m)^\*\*(RESYNC_[A-Z_]+)\*\*=\*?([^*\n]*)\*?$`)
	documented := map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(string(src), -1) {
		documented[m[1]] = m[2]
	}
	want := defaults(t)
	for key, def := range want {
		got, ok := documented[key]
		switch {
		case !ok:
			t.Errorf("resync.env(5) has no entry **%s**=…", key)
		case got != def:
			t.Errorf("resync.env(5): %s default is %q, the code's is %q", key, got, def)
		}
	}
	for key := range documented {
		if _, ok := want[key]; !ok {
			t.Errorf("resync.env(5) documents %s, which is not a setting", key)
		}
	}
}
