package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// kv is an assignment without its line, for compact expectations.
type kv struct{ Key, Value string }

func keyValues(as []assignment) []kv {
	var out []kv
	for _, a := range as {
		out = append(out, kv{a.Key, a.Value})
	}
	return out
}

// TestParseEnvFileSyntax pins each rule of systemd's env-file.c state machine.
func TestParseEnvFileSyntax(t *testing.T) {
	tests := []struct {
		name, in string
		want     []kv
	}{
		{"empty", "", nil},
		{"blank lines", "\n\n  \n\t\n", nil},
		{"simple", "A=1\nB=2\n", []kv{{"A", "1"}, {"B", "2"}}},
		{"no final newline", "A=1", []kv{{"A", "1"}}},
		{"empty value", "A=\n", []kv{{"A", ""}}},
		{"empty value at EOF", "A=", []kv{{"A", ""}}},
		{"hash comment", "# A=1\nB=2", []kv{{"B", "2"}}},
		{"semicolon comment", "; A=1\nB=2", []kv{{"B", "2"}}},
		{"indented comment", "   # A=1\nB=2", []kv{{"B", "2"}}},
		{"hash inside value is literal", "A=x # not a comment", []kv{{"A", "x # not a comment"}}},
		{"comment backslash does not continue", "# x \\\nA=1", []kv{{"A", "1"}}},
		{"whitespace around key and value", "  A  =  hello world  \n", []kv{{"A", "hello world"}}},
		{"tabs trimmed", "\tA\t=\tv\t\n", []kv{{"A", "v"}}},
		{"single quotes literal", `A='  x \n $y "z" '`, []kv{{"A", `  x \n $y "z" `}}},
		{"single quotes span lines", "A='a\nb'\nB=1", []kv{{"A", "a\nb"}, {"B", "1"}}},
		{"double quotes keep spaces", `A="  x  "`, []kv{{"A", "  x  "}}},
		{"double quote escapes", `A="q\" b\\ t\` + "`" + ` d\$"`, []kv{{"A", "q\" b\\ t` d$"}}},
		{"double quote other escape keeps backslash", `A="a\nb\tc"`, []kv{{"A", `a\nb\tc`}}},
		{"double quote continuation", "A=\"a\\\nb\"", []kv{{"A", "ab"}}},
		{"double quote literal newline", "A=\"a\nb\"", []kv{{"A", "a\nb"}}},
		{"quoted parts concatenate", `A="a"'b'"c"`, []kv{{"A", "abc"}}},
		{"space between quoted parts dropped", `A="a"  "b"  `, []kv{{"A", "ab"}}},
		{"bare word after quote", `A="a" b`, []kv{{"A", "ab"}}},
		{"quotes inside bare value literal", `A=a "b" 'c'`, []kv{{"A", `a "b" 'c'`}}},
		{"bare backslash escapes next", `A=a\ b\\c\"d`, []kv{{"A", `a b\c"d`}}},
		{"bare escaped trailing space kept", "A=a\\ \n", []kv{{"A", "a "}}},
		{"bare continuation", "A=one \\\ntwo\nB=3", []kv{{"A", "one two"}, {"B", "3"}}},
		{"continuation keeps next line's indent", "A=one\\\n  two", []kv{{"A", "one  two"}}},
		{"continuation before value", "A=\\\nx", []kv{{"A", "x"}}},
		{"trailing backslash at EOF dropped", "A=x\\", []kv{{"A", "x"}}},
		{"CRLF", "A=1\r\nB=2\r\n", []kv{{"A", "1"}, {"B", "2"}}},
		{"equals in value", "A=b=c", []kv{{"A", "b=c"}}},
		{"later assignment kept too", "A=1\nA=2", []kv{{"A", "1"}, {"A", "2"}}},
		{"unicode value", "A=žluťoučký kůň", []kv{{"A", "žluťoučký kůň"}}},
		{"lowercase key", "a_b=1", []kv{{"a_b", "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := parseEnvFile(tt.in, "f")
			if len(errs) > 0 {
				t.Fatalf("parseEnvFile(%q) errors: %v", tt.in, errs)
			}
			if g := keyValues(got); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("parseEnvFile(%q) = %q, want %q", tt.in, g, tt.want)
			}
		})
	}
}

func TestParseEnvFileLines(t *testing.T) {
	in := "# header\n\nA=1\n  B='x\ny'\nC=\"p\\\nq\"\n; c\r\nD=\\\n\\\nz\nE=5"
	got, errs := parseEnvFile(in, "f")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := []assignment{{"A", "1", 3}, {"B", "x\ny", 4}, {"C", "pq", 6}, {"D", "z", 9}, {"E", "5", 12}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// TestParseEnvFileErrors covers what systemd skips silently and we report.
func TestParseEnvFileErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // Error() of each, in order
		good     []kv     // what still parses
	}{
		{"no equals", "A=1\nRESYNC_WORKERS 4\nB=2",
			[]string{`f:2: "RESYNC_WORKERS 4": not a KEY=VALUE assignment (no "=")`},
			[]kv{{"A", "1"}, {"B", "2"}}},
		{"no equals at EOF", "A=1\n  lonely  ",
			[]string{`f:2: "lonely": not a KEY=VALUE assignment (no "=")`}, []kv{{"A", "1"}}},
		{"leading equals", "=x\n",
			[]string{`f:1: "=x": not a KEY=VALUE assignment (no "=")`}, nil},
		{"shell export", "export A=1\n",
			[]string{`f:1: "export A": invalid variable name (letters, digits and _ only, not starting with a digit)`}, nil},
		{"digit first", "1A=1\nB=2\n",
			[]string{`f:1: "1A": invalid variable name (letters, digits and _ only, not starting with a digit)`}, []kv{{"B", "2"}}},
		{"unterminated double quote", "A=1\nB=\"abc\nC=2\n",
			[]string{`f:2: B="abc\nC=2\n": quote opened here is never closed`}, []kv{{"A", "1"}}},
		{"unterminated single quote", "B='abc",
			[]string{`f:1: B="abc": quote opened here is never closed`}, nil},
		{"bad utf8", "A=\xff\nB=2",
			[]string{"f:1: A=\"\ufffd\": invalid UTF-8 (systemd refuses the whole file)"}, []kv{{"B", "2"}}},
		{"NUL stops reading", "A=1\nB=x\x00y\nC=3",
			[]string{`f:2: NUL byte in env file; systemd stops reading here`}, []kv{{"A", "1"}, {"B", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := parseEnvFile(tt.in, "f")
			var msgs []string
			for _, err := range errs {
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("error %v is not *Error", err)
				}
				msgs = append(msgs, err.Error())
			}
			if !reflect.DeepEqual(msgs, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", msgs, tt.want)
			}
			if g := keyValues(got); !reflect.DeepEqual(g, tt.good) {
				t.Errorf("assignments = %q, want %q", g, tt.good)
			}
		})
	}
}

func TestQuoteEnvValue(t *testing.T) {
	for _, v := range []string{"", "plain", "/abs/path", "10.0.0.0/8,::1/128", "two words",
		` lead`, `trail `, `"`, `'`, `\`, "$HOME", "`cmd`", "a\nb", "a\r\nb", "#x", ";x", "x\\\n", "tab\there", "ünï"} {
		line := "K=" + quoteEnvValue(v) + "\n"
		got, errs := parseEnvFile(line, "f")
		if len(errs) > 0 || len(got) != 1 || got[0].Value != v {
			t.Errorf("quoteEnvValue(%q) = %q, reads back as %q (errors %v)", v, quoteEnvValue(v), keyValues(got), errs)
		}
	}
}

// formatEnvFile writes assignments as an env file; the fuzz target checks
// parseEnvFile reads it back unchanged.
func formatEnvFile(as []assignment) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Key + "=" + quoteEnvValue(a.Value) + "\n")
	}
	return b.String()
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{
		"A=1\nB=2", "# c\n; c\nA = ' x ' \"y\\\"\" z \\\n w", "A=\"unterminated", "A='x\ny'", "x",
		"A=\\", "A=a\\ \r\n", "export A=1", "A=\xff", "\x00", "A=\"\\\n\"", "K=\"a\\\r\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, _ := parseEnvFile(in, "f")
		for _, a := range got {
			if !validEnvName(a.Key) || a.Line < 1 {
				t.Fatalf("bad assignment %+v from %q", a, in)
			}
		}
		again, errs := parseEnvFile(formatEnvFile(got), "g")
		if len(errs) > 0 {
			t.Fatalf("re-serialised %q: %v", formatEnvFile(got), errs)
		}
		if !reflect.DeepEqual(keyValues(again), keyValues(got)) {
			t.Fatalf("round trip of %q:\n got %q\nwant %q", in, keyValues(again), keyValues(got))
		}
	})
}
