package sdnotify

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Message
		wantErr string
	}{
		{in: "READY=1", want: Message{"READY": "1"}},
		{in: "READY=1\nSTATUS=serving 3 requests\n", want: Message{"READY": "1", "STATUS": "serving 3 requests"}},
		{in: "STATUS=a=b", want: Message{"STATUS": "a=b"}},
		{in: "X_RESYNC_RECYCLE=max-requests\n\nWATCHDOG=1", want: Message{"X_RESYNC_RECYCLE": "max-requests", "WATCHDOG": "1"}},
		{in: "STATUS=one\nSTATUS=two", want: Message{"STATUS": "two"}},
		{in: "READY", wantErr: "line 1: no '='"},
		{in: "READY=1\n=1", wantErr: "line 2: empty key"},
		{in: "ready=1", wantErr: `key "ready"`},
		{in: "", wantErr: "empty"},
		{in: "\n\n", wantErr: "empty"},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	if _, err := Parse([]byte("STATUS=" + strings.Repeat("x", MaxMessage))); err == nil {
		t.Fatal("oversized message accepted")
	}
}

func TestReloadingCarriesMonotonicTime(t *testing.T) {
	m, err := Parse([]byte(Reloading()))
	if err != nil {
		t.Fatal(err)
	}
	if m["RELOADING"] != "1" || m["MONOTONIC_USEC"] == "" || m["MONOTONIC_USEC"] == "0" {
		t.Fatalf("Reloading() = %v", m)
	}
}

// FuzzParse: never panics, and whatever parses survives Format → Parse unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"READY=1", "STATUS=x\nWATCHDOG=1\n", "A", "=", "K=v\n\nK2=", "ÿ=1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		var kv []string
		for k, v := range m {
			if strings.Contains(v, "\n") {
				t.Fatalf("value %q holds a newline", v)
			}
			kv = append(kv, k, v)
		}
		again, err := Parse([]byte(Format(kv...)))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, m)
		}
	})
}
