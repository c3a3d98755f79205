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

type marshaler struct{}

func (marshaler) MarshalJSON() ([]byte, error) { return []byte(`{"m":[1,{"n":"x"}]}`), nil }

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.GroupValue(slog.Int("lv", 7)) }

// What a worker writes (slog.JSONHandler), the master reads back: message,
// level, time, key order and values of every slog.Kind, groups as dotted
// keys — the same flat list the master's own handler would make, but for
// the kinds JSON has no type for (durations, times and errors arrive as
// their text, whole floats as integers, slices as their JSON).
func TestWireRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	log := NewWorker(&buf, slog.LevelDebug).Logger.With("w", 1).WithGroup("g")
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", -(3*3600+30*60)))
	r := slog.NewRecord(now, LevelCritical, "quote \" backslash \\ nl \n tab \t ctl \x01 é 😀 bad \xff <&>", 0)
	r.AddAttrs(
		slog.Int("i", -42), slog.Uint64("u", math.MaxUint64), slog.Float64("f", 1.5),
		slog.Float64("whole", 3), slog.Float64("nan", math.NaN()), slog.Float64("big", 1e300),
		slog.Bool("b", false), slog.Duration("d", 1500*time.Millisecond),
		slog.Time("at", now), slog.Any("err", errors.New("e\"rr")), slog.String("", "empty key"),
		slog.Group("sub", slog.String("k", "v"), slog.Group("deeper", slog.Bool("t", true))),
		slog.String("s/\\", "\u2028"), slog.Any("slice", []int{1, 2}), slog.Any("nil", nil),
		slog.Any("marshaler", marshaler{}), slog.Any("valuer", valuer{}), slog.Group("empty"),
		slog.Any("struct", struct{ A string }{"a"}),
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
	if e.msg != "quote \" backslash \\ nl \n tab \t ctl \x01 é 😀 bad \uFFFD <&>" || e.level != LevelCritical || !e.time.Equal(now) {
		t.Errorf("got msg %q level %v time %v", e.msg, e.level, e.time)
	}
	want := []kv{
		{"w", slog.Int64Value(1)}, {"g.i", slog.Int64Value(-42)}, {"g.u", slog.Uint64Value(math.MaxUint64)},
		{"g.f", slog.Float64Value(1.5)}, {"g.whole", slog.Int64Value(3)}, {"g.nan", slog.StringValue("NaN")},
		{"g.big", slog.Float64Value(1e300)}, {"g.b", slog.BoolValue(false)},
		{"g.d", slog.StringValue("1.5s")}, {"g.at", slog.StringValue(now.Format(time.RFC3339Nano))},
		{"g.err", slog.StringValue("e\"rr")}, {"g.", slog.StringValue("empty key")},
		{"g.sub.k", slog.StringValue("v")}, {"g.sub.deeper.t", slog.BoolValue(true)},
		{"g.s/\\", slog.StringValue("\u2028")}, {"g.slice", slog.StringValue("[1,2]")},
		{"g.nil", slog.StringValue("null")}, {"g.marshaler.m", slog.StringValue(`[1,{"n":"x"}]`)},
		{"g.valuer.lv", slog.Int64Value(7)}, {"g.struct.A", slog.StringValue("a")},
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

// The decoder reads a stock slog.JSONHandler too (durations as nanoseconds,
// no ReplaceAttr), a record without a time, and every level's text.
func TestWireReadsStockJSONHandler(t *testing.T) {
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, LevelCritical, slog.LevelDebug - 2, slog.LevelInfo + 1} {
		var buf bytes.Buffer
		h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.Level(-10)})
		r := slog.NewRecord(time.Time{}, l, "m", 0)
		r.AddAttrs(slog.Duration("d", time.Second))
		if err := h.WithGroup("g").Handle(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		var e entry
		if err := parseWire(strings.TrimSuffix(buf.String(), "\n"), &e); err != nil {
			t.Fatalf("parse %q: %v", buf.String(), err)
		}
		if e.level != l || e.time.IsZero() || len(e.attrs) != 1 || e.attrs[0].key != "g.d" || e.attrs[0].val.Int64() != int64(time.Second) {
			t.Errorf("%q: level %v, time %v, attrs %v", buf.String(), e.level, e.time, e.attrs)
		}
	}
}

func TestWireRejectsOtherLines(t *testing.T) {
	for _, l := range []string{"", "hello", `{"level":"INFO","msg":"x"}x`, `{"level":"INFO","msg":"x","k"}`,
		`{"level":"INFO","msg":"x\q"}`, `{"level":"INFO","msg":"x","k":{"a":1}`, `{"level":"INFO","msg":"x",`,
		`{"time":"yesterday","level":"INFO","msg":"x"}`, `{"level":"LOUD","msg":"x"}`, `{"msg":"x"}`,
		`{"level":"INFO","msg":"x","k":[1,2}`, `{"t":1,"l":0,"m":"x","a":[]}`} {
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
