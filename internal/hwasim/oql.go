package hwasim

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The OQL subset the simulator understands:
//
//	query := [cond {AND cond}] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
//	cond  := field ('=' | LIKE) 'string'      ('' inside a string is one ')
//	field := name {'.' name}                  (the API's JSON names)
//
// Anything else — OR, parentheses, other operators, an unknown field, a field
// that is an object — is a syntax error, answered 400 OQL_FILTER_SYNTAX_ERROR.

type cond struct {
	path  []int
	like  bool
	value string
}

type order struct {
	path []int
	desc bool
}

type query struct {
	conds  []cond
	orders []order
}

type token struct {
	kind string // ident, string, op, word
	text string
}

func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '=' || c == ',':
			out = append(out, token{"op", string(c)})
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, token{"string", b.String()})
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == '.') {
				j++
			}
			w := s[i:j]
			switch strings.ToUpper(w) {
			case "AND", "LIKE", "ORDER", "BY", "ASC", "DESC":
				out = append(out, token{"word", strings.ToUpper(w)})
			default:
				out = append(out, token{"ident", w})
			}
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return out, nil
}

// parseOQL parses s against the fields of type t (an hwa object type).
func parseOQL(s string, t reflect.Type) (*query, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	q := &query{}
	i := 0
	next := func() token {
		if i < len(toks) {
			i++
			return toks[i-1]
		}
		return token{}
	}
	peek := func() token {
		if i < len(toks) {
			return toks[i]
		}
		return token{}
	}
	for i < len(toks) && !(peek().kind == "word" && peek().text == "ORDER") {
		if len(q.conds) > 0 {
			if w := next(); w.kind != "word" || w.text != "AND" {
				return nil, fmt.Errorf("want AND, got %q", w.text)
			}
		}
		f := next()
		if f.kind != "ident" {
			return nil, fmt.Errorf("want a field, got %q", f.text)
		}
		path, err := resolve(t, f.text)
		if err != nil {
			return nil, err
		}
		op := next()
		like := op.kind == "word" && op.text == "LIKE"
		if !like && (op.kind != "op" || op.text != "=") {
			return nil, fmt.Errorf("want = or LIKE after %s, got %q", f.text, op.text)
		}
		v := next()
		if v.kind != "string" {
			return nil, fmt.Errorf("want a quoted value after %s %s", f.text, op.text)
		}
		q.conds = append(q.conds, cond{path: path, like: like, value: v.text})
	}
	if i < len(toks) {
		next()
		if w := next(); w.kind != "word" || w.text != "BY" {
			return nil, fmt.Errorf("want BY after ORDER")
		}
		for {
			f := next()
			if f.kind != "ident" {
				return nil, fmt.Errorf("want a field after ORDER BY")
			}
			path, err := resolve(t, f.text)
			if err != nil {
				return nil, err
			}
			o := order{path: path}
			if w := peek(); w.kind == "word" && (w.text == "ASC" || w.text == "DESC") {
				o.desc = next().text == "DESC"
			}
			q.orders = append(q.orders, o)
			if peek().kind == "op" && peek().text == "," {
				next()
				continue
			}
			if i < len(toks) {
				return nil, fmt.Errorf("unexpected %q after ORDER BY", peek().text)
			}
			break
		}
	}
	return q, nil
}

// resolve turns a dotted JSON field name into struct field indices; slices
// are looked through (a field of a list matches if any element does).
func resolve(t reflect.Type, dotted string) ([]int, error) {
	var path []int
	for _, name := range strings.Split(dotted, ".") {
		for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("field %s: %s is not an object", dotted, name)
		}
		idx := -1
		for k := 0; k < t.NumField(); k++ {
			tag, _, _ := strings.Cut(t.Field(k).Tag.Get("json"), ",")
			if tag == name {
				idx = k
				break
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("unknown field %s", dotted)
		}
		path = append(path, idx)
		t = t.Field(idx).Type
	}
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct || t.Kind() == reflect.Map {
		return nil, fmt.Errorf("field %s is an object, not a value", dotted)
	}
	return path, nil
}

// values collects the scalar values at path under v, as text.
func values(v reflect.Value, path []int, out []string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return out
		}
		return values(v.Elem(), path, out)
	case reflect.Slice:
		for k := 0; k < v.Len(); k++ {
			out = values(v.Index(k), path, out)
		}
		return out
	}
	if len(path) == 0 {
		switch v.Kind() {
		case reflect.String:
			return append(out, v.String())
		case reflect.Int, reflect.Int64, reflect.Int32:
			return append(out, strconv.FormatInt(v.Int(), 10))
		case reflect.Bool:
			return append(out, strconv.FormatBool(v.Bool()))
		}
		return out
	}
	return values(v.Field(path[0]), path[1:], out)
}

// like matches s against pattern, @ being any run of characters; case does
// not matter.
func like(pattern, s string) bool {
	parts := strings.Split(strings.ToUpper(pattern), "@")
	s = strings.ToUpper(s)
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	if len(parts) == 1 {
		return s == ""
	}
	for _, p := range parts[1 : len(parts)-1] {
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

func (q *query) match(v reflect.Value) bool {
	var buf []string
	for _, c := range q.conds {
		buf = values(v, c.path, buf[:0])
		ok := false
		for _, x := range buf {
			if c.like && like(c.value, x) || !c.like && x == c.value {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// sort orders items (pointers to hwa objects) by the query's ORDER BY.
func (q *query) sort(items []reflect.Value) {
	if len(q.orders) == 0 {
		return
	}
	first := func(v reflect.Value, path []int) string {
		if vs := values(v, path, nil); len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	sort.SliceStable(items, func(a, b int) bool {
		for _, o := range q.orders {
			x, y := first(items[a], o.path), first(items[b], o.path)
			if x == y {
				continue
			}
			less := x < y
			if nx, err1 := strconv.Atoi(x); err1 == nil {
				if ny, err2 := strconv.Atoi(y); err2 == nil {
					less = nx < ny
				}
			}
			return less != o.desc
		}
		return false
	})
}
