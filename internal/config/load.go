package config

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Default returns the configuration with every setting at its default, the
// runtime directory resolved from this process's environment.
func Default() Config {
	c := defaults()
	c.RuntimeDir = defaultRuntimeDir(os.Getenv, os.Geteuid())
	return c
}

// defaults applies every row's default; the table's own test proves they parse.
func defaults() Config {
	var c Config
	for _, s := range settings {
		if err := s.set(&c, s.def); err != nil {
			panic("config: default of " + s.key + " does not parse: " + err.Error())
		}
	}
	return c
}

// source is where a setting's value came from.
type source struct {
	value string
	file  string // "" = environment
	line  int
}

// Load builds the configuration from defaults, then environ (os.Environ form;
// for a repeated key the last wins, as with exec.Cmd.Env), then the env file
// named by RESYNC_ENV_FILE in environ (DefaultEnvFile when unset, none when
// empty). The file wins over the environment; a key the file no longer has
// falls back to the environment, then to its default (see the package doc:
// the unit does not load the file into the environment).
//
// Unknown RESYNC_* keys are ignored in environ (the master sets internal ones)
// but are errors in the file. Every problem is reported, as *Error values
// joined with errors.Join; the returned Config is only meaningful when the
// error is nil.
func Load(environ []string) (Config, error) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var errs []error
	vals := make(map[string]source)
	for _, s := range settings {
		if v, ok := env[s.key]; ok {
			vals[s.key] = source{value: v}
		}
	}

	path, ok := env["RESYNC_ENV_FILE"]
	if !ok {
		path = DefaultEnvFile
	}
	if path != "" {
		errs = append(errs, readEnvFile(path, vals)...)
	}

	c := defaults()
	for _, s := range settings {
		src, ok := vals[s.key]
		if !ok {
			continue
		}
		if err := s.set(&c, src.value); err != nil {
			errs = append(errs, &Error{File: src.file, Line: src.line, Key: s.key,
				Value: src.value, Reason: err.Error()})
		}
	}
	if c.RuntimeDir == "" {
		c.RuntimeDir = defaultRuntimeDir(func(k string) string { return env[k] }, os.Geteuid())
	}
	if len(errs) > 0 {
		return c, errors.Join(sortErrors(errs)...)
	}
	return c, nil
}

// readEnvFile overlays the file's RESYNC_* assignments onto vals.
func readEnvFile(path string, vals map[string]source) []error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && path == DefaultEnvFile {
			return nil
		}
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		return []error{&Error{File: path, Reason: "read env file: " + reason}}
	}
	assigns, errs := parseEnvFile(string(data), path)
	for _, a := range assigns {
		if !strings.HasPrefix(strings.ToUpper(a.Key), "RESYNC_") {
			continue // other programs' variables may share the file
		}
		s, ok := lookupSetting(a.Key)
		switch {
		case !ok:
			reason := "unknown setting"
			if near := closestKey(a.Key); near != "" {
				reason += "; did you mean " + near + "?"
			}
			errs = append(errs, &Error{File: path, Line: a.Line, Key: a.Key, Value: a.Value, Reason: reason})
		case s.envOnly:
			errs = append(errs, &Error{File: path, Line: a.Line, Key: a.Key, Value: a.Value,
				Reason: "has no effect inside the env file; set it in the environment or use --env-file"})
		default:
			vals[a.Key] = source{value: a.Value, file: path, line: a.Line}
		}
	}
	return errs
}

// sortErrors orders environment errors first, then by line, and masks secrets.
func sortErrors(errs []error) []error {
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			continue
		}
		for _, s := range settings {
			switch {
			case !s.secret:
			case e.Key == s.key:
				e.Value = mask(e.Value)
			case e.Key == "" && strings.HasPrefix(e.Value, s.key):
				// A line with no "=" may still carry the secret after the key.
				e.Value = s.key + " " + mask(e.Value[len(s.key):])
			}
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		var ea, eb *Error
		errors.As(a, &ea)
		errors.As(b, &eb)
		if ea == nil || eb == nil {
			return 0
		}
		return cmp.Or(cmp.Compare(ea.File, eb.File), cmp.Compare(ea.Line, eb.Line))
	})
	return errs
}

// mask hides a secret but still shows whether one is set.
func mask(v string) string {
	if v == "" {
		return ""
	}
	return "********"
}

// closestKey suggests the known setting nearest to a mistyped key, or "".
func closestKey(key string) string {
	key = strings.ToUpper(key)
	best, bestDist := "", 4 // more than 3 edits away is no longer a typo
	for _, s := range settings {
		if d := editDistance(key, s.key); d < bestDist {
			best, bestDist = s.key, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
