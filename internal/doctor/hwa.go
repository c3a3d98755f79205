package doctor

// checkHWA: a production host needs an engine, reached with its certificate
// verified; skipping verification fails in any mode (it is the setting that
// warns at start too).
func checkHWA(f Facts) Result {
	t := f.Config.TWS
	r := Result{Name: "hwa engine", OK: true}
	switch {
	case t.URL == "" && production(f):
		r.OK, r.Detail = false, "no RESYNC_TWS_URL: the TWS API answers 503"
		r.Fix = "set RESYNC_TWS_URL=https://engine:31116, RESYNC_TWS_USER and the password (better as the systemd credential tws-password: LoadCredential= in a drop-in), then systemctl reload resync"
	case t.URL == "":
		r.Detail = "no RESYNC_TWS_URL: development mode serves the built-in simulator's plan"
	case t.InsecureSkipVerify:
		r.OK, r.Detail = false, "RESYNC_TWS_INSECURE_SKIP_VERIFY=true: the engine's certificate is not verified"
		r.Fix = "set RESYNC_TWS_CA_FILE to the engine's CA bundle and RESYNC_TWS_INSECURE_SKIP_VERIFY=false, then systemctl reload resync"
	default:
		r.Detail = t.URL + " as " + t.User
		if t.Password != "" {
			r.Detail += " (password from the env file; the systemd credential tws-password would keep it out of the environment)"
		}
	}
	return r
}
