package config

import (
	"errors"
	"strings"
)

// SecurityConfig holds who may use the operator routes. The admin token
// stays in MetricsConfig.AdminToken, where the admin routes began.
type SecurityConfig struct {
	// APITokens (RESYNC_API_TOKENS) are the operator bearer tokens, several so
	// that one can be rotated while the next is already in use.
	APITokens []string
}

func init() {
	settings = append(settings, []setting{
		{key: "RESYNC_API_TOKENS", def: "", group: "Security", secret: true,
			doc:   "bearer tokens the operator routes accept, comma separated so one can be rotated (empty = none; the admin token also works); shown masked",
			codec: tokensCodec},
	}...)
}

var tokensCodec = codec{
	set: func(c *Config, v string) error {
		var out []string
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if err := checkToken(t); err != nil {
				return errors.New("each token " + err.Error())
			}
			out = append(out, t)
		}
		c.Security.APITokens = out
		return nil
	},
	get: func(c *Config) string { return strings.Join(c.Security.APITokens, ",") },
}

// ClosedRoutes says which routes production mode keeps closed for want of a
// token, and the setting that opens them; "" when none is closed. Start
// warns with it and `resync doctor` fails on it.
func (c Config) ClosedRoutes() string {
	if c.Mode != "production" || c.Metrics.AdminToken != "" {
		return ""
	}
	if len(c.Security.APITokens) == 0 {
		return "admin and operator endpoints are closed: set RESYNC_ADMIN_TOKEN (and RESYNC_API_TOKENS for operators)"
	}
	return "admin endpoints are closed: set RESYNC_ADMIN_TOKEN"
}
