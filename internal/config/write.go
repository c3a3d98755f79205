package config

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Environ returns every setting as KEY=value, values unquoted (os.Environ
// form), such that Load parses it back to an equal Config. The master passes
// it to workers followed by "RESYNC_ENV_FILE=" so they never read the file.
func (c Config) Environ() []string {
	out := make([]string, 0, len(settings))
	for _, s := range settings {
		out = append(out, s.key+"="+s.get(&c))
	}
	return out
}

// Write prints the effective configuration, one KEY=value line per setting
// with its documentation aligned after it; secrets are masked. Values are
// quoted as in an env file, but the trailing comments make the output for
// reading, not for loading.
func (c Config) Write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range settings {
		v := s.get(&c)
		if s.secret {
			v = mask(v)
		}
		doc := s.doc
		if s.note != nil {
			if n := s.note(&c); n != "" {
				doc += " [" + n + "]"
			}
		}
		fmt.Fprintf(tw, "%s=%s\t# %s\n", s.key, quoteEnvValue(v), doc)
	}
	tw.Flush()
}

// Template writes a commented env file documenting every setting, each at its
// default and commented out; packaging ships it as /etc/resync/env.
func Template(w io.Writer) {
	fmt.Fprint(w, templateHeader)
	group := ""
	for _, s := range settings {
		if s.envOnly {
			continue
		}
		if s.group != group {
			group = s.group
			fmt.Fprintf(w, "\n## %s\n", group)
		}
		fmt.Fprintf(w, "\n# %s\n#%s=%s\n", s.doc, s.key, quoteEnvValue(s.def))
	}
}

const templateHeader = `# resync configuration, read by resync itself at start and on every reload.
#
# Syntax is systemd's (systemd.exec(5)): one KEY=value per line; lines starting
# with # or ; are comments; whitespace around an unquoted value is dropped;
# '...' is literal, "..." allows \" \\ \$ escapes; a trailing \ continues
# the line. Settings here override the service's environment (Environment=
# in a drop-in); a setting deleted here returns to that, or to its default, on
# the next reload. Only RESYNC_* keys are read. Every setting is
# shown at its default, commented out. After editing, run
#     resync check
# to validate this file and print the effective values, then
#     systemctl reload resync
# RESYNC_ENV_FILE (this file's path) can only be set in the environment.
`
