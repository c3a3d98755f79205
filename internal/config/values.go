package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
)

const maxInt = math.MaxInt

// Each constructor below builds the codec for one kind of value. Their errors
// are bare reasons ("must be > 0"); Load adds file, line, key and value.

func oneOf(field func(*Config) *string, allowed ...string) codec {
	return codec{
		set: func(c *Config, v string) error {
			for _, a := range allowed {
				if v == a {
					*field(c) = v
					return nil
				}
			}
			return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
		},
		get: func(c *Config) string { return *field(c) },
	}
}

// text stores the value as is after check (nil: anything goes).
func text(field func(*Config) *string, check func(string) error) codec {
	return codec{
		set: func(c *Config, v string) error {
			if check != nil {
				if err := check(v); err != nil {
					return err
				}
			}
			*field(c) = v
			return nil
		},
		get: func(c *Config) string { return *field(c) },
	}
}

// boolean accepts on/off, true/false, yes/no and 1/0 in any case, and prints
// the pair (yes, no) its setting is documented with.
func boolean(field func(*Config) *bool, yes, no string) codec {
	return codec{
		set: func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "on", "true", "yes", "1":
				*field(c) = true
			case "off", "false", "no", "0":
				*field(c) = false
			default:
				var also []string
				for _, pair := range []string{"on/off", "true/false", "yes/no", "1/0"} {
					if pair != yes+"/"+no {
						also = append(also, pair)
					}
				}
				return fmt.Errorf("must be %s or %s (also %s)", yes, no, strings.Join(also, ", "))
			}
			return nil
		},
		get: func(c *Config) string {
			if *field(c) {
				return yes
			}
			return no
		},
	}
}

func integer(field func(*Config) *int, lo, hi int) codec {
	return codec{
		set: func(c *Config, v string) error {
			n, err := parseInt(v, lo, hi)
			if err != nil {
				return err
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

// parseInt accepts decimal digits only: no sign, no spaces, no 0x.
func parseInt(v string, lo, hi int) (int, error) {
	what := "an integer ≥ " + strconv.Itoa(lo)
	switch lo {
	case 0:
		what = "a whole number (0 or more)"
	case 1:
		what = "a positive integer"
	}
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, fmt.Errorf("must be %s", what)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n > hi {
		return 0, fmt.Errorf("must be at most %d", hi)
	}
	if n < lo {
		return 0, fmt.Errorf("must be %s", what)
	}
	return n, nil
}

// duration accepts whole seconds ("120") or a Go duration ("120s", "2m", "1m30s"),
// and must be > 0: every duration setting is a timeout.
func duration(field func(*Config) *time.Duration) codec {
	return codec{
		set: func(c *Config, v string) error {
			d, err := parseDuration(v)
			if err != nil {
				return err
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string { return formatDuration(*field(c)) },
	}
}

func parseDuration(v string) (time.Duration, error) {
	var d time.Duration
	if v != "" && strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > math.MaxInt64/int64(time.Second) {
			return 0, errors.New("is too long")
		}
		d = time.Duration(n) * time.Second
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, errors.New("must be a duration: seconds (120) or with a unit (120s, 2m, 1m30s)")
		}
	}
	if d <= 0 {
		return 0, errors.New("must be > 0")
	}
	return d, nil
}

// formatDuration prints whole seconds as "120s" (what the docs use) and
// anything finer in Go syntax; parseDuration reads both back exactly.
func formatDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// maxWorkers guards against a typo (RESYNC_WORKERS=1000 for 100) forking a
// host to death; no machine we target wants more processes than this.
const maxWorkers = 1024

var workersCodec = codec{
	set: func(c *Config, v string) error {
		if v == "auto" {
			c.Workers, c.WorkersAuto = autoWorkers(), true
			return nil
		}
		if v == "" || strings.Trim(v, "0123456789") != "" {
			return errors.New(`must be "auto" or a positive integer`)
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n > maxWorkers:
			return fmt.Errorf("must be at most %d", maxWorkers)
		case n < 1:
			return errors.New(`must be "auto" or a positive integer`)
		}
		c.Workers, c.WorkersAuto = n, false
		return nil
	},
	get: func(c *Config) string {
		if c.WorkersAuto {
			return "auto"
		}
		return strconv.Itoa(c.Workers)
	},
	note: func(c *Config) string {
		if c.WorkersAuto {
			return fmt.Sprintf("auto = %d here", c.Workers)
		}
		return ""
	},
}

// proxiesCodec keeps each entry as a canonical prefix ("10.0.0.1" becomes
// "10.0.0.1/32"), so consumers can netip.ParsePrefix every element.
var proxiesCodec = codec{
	set: func(c *Config, v string) error {
		var out []string
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			p, err := parseProxy(f)
			if err != nil {
				return err
			}
			out = append(out, p.String())
		}
		c.Log.TrustedProxies = out
		return nil
	},
	get: func(c *Config) string { return strings.Join(c.Log.TrustedProxies, ",") },
}

func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		// A set host part usually means a mistyped prefix length; guessing
		// either way would trust the wrong addresses, so refuse.
		if m := p.Masked(); m != p {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set (the network is %s)", s, m)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// TrustedPrefixes returns RESYNC_TRUSTED_PROXIES parsed; Load has validated
// every entry, so entries that do not parse (a hand-built Config) are skipped.
func (l LogConfig) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range l.TrustedProxies {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// unixPathMax is sizeof(sun_path) minus the terminating NUL on Linux.
const unixPathMax = 107

func checkBind(v string) error {
	const forms = "must be host:port, [v6]:port, :port or unix:/abs/path"
	if path, ok := strings.CutPrefix(v, "unix:"); ok {
		switch {
		case !filepath.IsAbs(path):
			return errors.New("unix socket path must be absolute (unix:/run/resync/http.sock)")
		case len(path) > unixPathMax:
			return fmt.Errorf("unix socket path is longer than %d bytes", unixPathMax)
		}
		return nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New(forms)
	}
	if _, err := parseInt(port, 0, 65535); err != nil {
		return fmt.Errorf("port %q must be a number 0-65535", port)
	}
	switch {
	case host == "":
		return nil
	case strings.HasPrefix(v, "["):
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return fmt.Errorf("%q in brackets must be an IPv6 address", host)
		}
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !validHostname(host) {
		return fmt.Errorf("%q is not an IP address or host name", host)
	}
	return nil
}

// validHostname checks RFC 1123 syntax: dot-separated labels of letters,
// digits and inner hyphens.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

func optionalAbsPath(v string) error {
	if v != "" && !filepath.IsAbs(v) {
		return errors.New("must be an absolute path (or empty)")
	}
	return nil
}

// checkToken refuses what an HTTP header cannot carry intact: clients and
// proxies trim or reject whitespace and control characters, so such a token
// could never match.
func checkToken(v string) error {
	for _, r := range v {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errors.New("must not contain whitespace or control characters")
		}
	}
	return nil
}
