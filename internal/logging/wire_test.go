package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

// What a worker writes, the master reads back the same: message, level,
// time, key order and values of every kind.
func TestWireRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	log := NewWorker(&buf, slog.LevelDebug).Logger.With("w", 1).WithGroup("g")
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	r := slog.NewRecord(now, slog.LevelWarn, "quote \" backslash \\ nl \n tab \t ctl \x01 é 😀 bad \xff", 0)
	r.AddAttrs(
		slog.Int("i", -42), slog.Uint64("u", math.MaxUint64), slog.Float64("f", 1.5),
		slog.Float64("whole", 3), slog.Bool("b", false), slog.Duration("d", 1500*time.Millisecond),
		slog.Time("at", now), slog.Any("err", errors.New("e\"rr")), slog.String("", "empty key"),
		slog.Group("sub", slog.String("k", "v")), slog.String("s/\\", "\u2028"),
	)
	if err := log.Handler().Handle(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("not one line: %q", line)
	}
	var e entry
	if err := parseWire(strings.TrimSuffix(line, "\n"), &e); err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	if e.msg != "quote \" backslash \\ nl \n tab \t ctl \x01 é 😀 bad \uFFFD" || e.level != slog.LevelWarn || !e.time.Equal(now) {
		t.Errorf("got msg %q level %v time %v", e.msg, e.level, e.time)
	}
	want := []kv{
		{"w", slog.Int64Value(1)}, {"g.i", slog.Int64Value(-42)}, {"g.u", slog.Uint64Value(math.MaxUint64)},
		{"g.f", slog.Float64Value(1.5)}, {"g.whole", slog.StringValue("3")}, {"g.b", slog.BoolValue(false)},
		{"g.d", slog.StringValue("1.5s")}, {"g.at", slog.StringValue(now.Format(time.RFC3339Nano))},
		{"g.err", slog.StringValue("e\"rr")}, {"g.", slog.StringValue("empty key")},
		{"g.sub.k", slog.StringValue("v")}, {"g.s/\\", slog.StringValue("\u2028")},
	}
	if len(e.attrs) != len(want) {
		t.Fatalf("attrs %v, want %v", e.attrs, want)
	}
	for i, w := range want {
		if e.attrs[i].key != w.key || !e.attrs[i].val.Equal(w.val) {
			t.Errorf("attr %d: %s=%v (%v), want %s=%v (%v)", i, e.attrs[i].key, e.attrs[i].val,
				e.attrs[i].val.Kind(), w.key, w.val, w.val.Kind())
		}
	}
}

func TestWireRejectsOtherLines(t *testing.T) {
	for _, l := range []string{"", "hello", `{"t":1,"l":0,"m":"x","a":[]}x`, `{"t":1,"l":0,"m":"x","a":["k"]}`,
		`{"t":1,"l":0,"m":"x\q","a":[]}`, `{"t":1,"l":0,"m":"x","a":["k",{}]}`, `{"t":1,"l":0,"m":"x","a":[`} {
		var e entry
		if err := parseWire(l, &e); err == nil {
			t.Errorf("accepted %q", l)
		}
	}
}

func FuzzWire(f *testing.F) {
	f.Add("msg", "key", "value", int64(1))
	f.Add("a\nb\"c\\", "k\x00", "\xff\u2028", int64(-1))
	f.Fuzz(func(t *testing.T, msg, key, val string, n int64) {
		var buf bytes.Buffer
		NewWorker(&buf, slog.LevelDebug).Logger.Info(msg, key, val, "n", n)
		var e entry
		if err := parseWire(strings.TrimSuffix(buf.String(), "\n"), &e); err != nil {
			t.Fatalf("parse %q: %v", buf.String(), err)
		}
		fix := func(s string) string { // each invalid byte becomes U+FFFD
			var b strings.Builder
			for _, r := range s {
				b.WriteRune(r)
			}
			return b.String()
		}
		if e.msg != fix(msg) || len(e.attrs) != 2 || e.attrs[0].key != fix(key) ||
			e.attrs[0].val.String() != fix(val) || e.attrs[1].val.Int64() != n {
			t.Fatalf("round trip of %q %q %q %d gave %+v", msg, key, val, n, e)
		}
	})
}
