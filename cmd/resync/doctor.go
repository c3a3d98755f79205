package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/doctor"
	"github.com/resync/resync/internal/procstat"
)

// runDoctor checks this host against the guide's deploy checklist.
func runDoctor(args []string) int {
	return runDoctorWith(args, os.Environ(), os.Stdout, os.Stderr)
}

// runDoctorWith gathers the facts (configuration, the running master's status
// and cgroup, where the service listens) and lets internal/doctor judge them.
func runDoctorWith(args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "base URL of the service (default: from resync.socket, else RESYNC_BIND)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}

	f := doctor.Facts{EnvFile: config.DefaultEnvFile, CPUs: runtime.NumCPU()}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "RESYNC_ENV_FILE="); ok {
			f.EnvFile = v
		}
	}
	if f.EnvFile == "" {
		f.EnvFile = "the environment"
	}
	f.Config, f.ConfigErr = config.Load(environ)

	if f.ConfigErr == nil {
		f.BaseURL, f.Client = doctor.Endpoint(socketListen(), f.Config.Bind)
		if *url != "" {
			f.BaseURL = *url
		}
		// A socket-activated service may not run yet: one request starts it,
		// so that its master can be asked for its status.
		wake(f.Client, f.BaseURL)
		st, err := control.Status(control.Path(f.Config.RuntimeDir))
		if err == nil {
			f.Status = &st
			f.MemLimit, f.MemLimitErr = procstat.MemoryLimit("/proc", st.PID)
			f.UnitMemory = unitMemory()
		}
		f.StatusErr = err
		f.Redis = doctorRedis(context.Background(), f.Config)
	}

	fmt.Fprintf(stdout, "resync doctor: configuration from %s, %d cores\n", f.EnvFile, f.CPUs)
	failed := doctor.Write(stdout, doctor.Run(context.Background(), f))
	fmt.Fprintln(stdout, doctor.Profile(f.Status, f.StatusErr, time.Now()))
	if failed > 0 {
		fmt.Fprintf(stdout, "%d checks failed\n", failed)
		return exitFail
	}
	return exitOK
}

func wake(c *http.Client, base string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/health/live", nil)
	if err != nil {
		return
	}
	if resp, err := c.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// unitMemory reports the memory limits systemd was told to set on
// resync.service, to tell "none configured" from "configured, not in force".
func unitMemory() string {
	var set []string
	for _, p := range []string{"MemoryMax", "MemoryHigh"} {
		if v := systemctlShow("resync.service", p); v != "" && v != "infinity" {
			set = append(set, p+"="+v)
		}
	}
	return strings.Join(set, " ")
}

// socketListen asks systemd where resync.socket listens; "" without systemd
// or without the unit, and then RESYNC_BIND is where the master listens.
func socketListen() string { return systemctlShow("resync.socket", "Listen") }

// systemctlShow reads one property of a unit; "" when systemd cannot say.
func systemctlShow(unit, property string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", "show", "-P", property, unit).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
