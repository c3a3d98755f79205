package doctor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
)

// Facts is what the checks look at.
type Facts struct {
	EnvFile   string        // where the configuration came from, for messages
	Config    config.Config // meaningful when ConfigErr is nil
	ConfigErr error
	CPUs      int

	Status    *control.Snapshot // nil when no master answers
	StatusErr error

	MemLimit    uint64 // bytes; 0 = none in force
	MemLimitErr error  // could not read the master's cgroup
	UnitMemory  string // the unit's MemoryMax=/MemoryHigh= as systemd reports them, "" if none

	Redis RedisFacts // what a PING of the workers' Redis found

	BaseURL string       // http://host:port of the running service
	Client  *http.Client // for the health endpoints
}

// Result is one line of the report.
type Result struct {
	Name   string
	OK     bool
	Detail string // what was found
	Fix    string // what to do when !OK
}

// Run runs every check, in the guide's checklist order.
func Run(ctx context.Context, f Facts) []Result {
	if f.ConfigErr != nil {
		return []Result{{Name: "configuration", Detail: f.ConfigErr.Error(),
			Fix: "correct " + f.EnvFile + " (resync check shows each error), then systemctl reload resync"}}
	}
	rs := []Result{
		checkMode(f),
		checkTokens(f),
		checkWorkers(f),
		checkRedis(f),
		checkHWA(f),
		checkMemory(f),
		checkLogs(f),
	}
	rs = append(rs, checkHealth(ctx, f)...)
	rs = append(rs, checkMetrics(f))
	return rs
}

func production(f Facts) bool { return f.Config.Mode == "production" }

func checkMode(f Facts) Result {
	r := Result{Name: "mode", OK: production(f), Detail: "RESYNC_MODE=" + f.Config.Mode}
	if !r.OK {
		r.Fix = "set RESYNC_MODE=production in " + f.EnvFile + ", then systemctl reload resync"
	}
	return r
}

// checkTokens fails a production host whose admin routes nobody can open.
func checkTokens(f Facts) Result {
	r := Result{Name: "tokens", OK: true, Detail: "RESYNC_ADMIN_TOKEN set"}
	switch closed := f.Config.ClosedRoutes(); {
	case closed != "":
		r.OK, r.Detail = false, closed
		r.Fix = "set RESYNC_ADMIN_TOKEN (and RESYNC_API_TOKENS) in " + f.EnvFile + " to long random values (openssl rand -hex 32), then systemctl reload resync"
	case f.Config.Metrics.AdminToken == "":
		r.Detail = "no RESYNC_ADMIN_TOKEN: admin and operator endpoints answer local clients only (development mode)"
	}
	return r
}

// checkWorkers accepts 2 up to the guide's 2×cores+1. One worker leaves nobody
// accepting while it recycles; beyond 2×cores+1 a Go worker, which serves many
// requests at once, only adds memory.
func checkWorkers(f Facts) Result {
	n, cores := f.Config.Workers, max(f.CPUs, 1)
	if f.Status != nil && f.Status.Target > 0 {
		n = f.Status.Target // TTIN/TTOU may have changed it at run time
	}
	top := 2*cores + 1
	r := Result{Name: "workers", OK: n >= 2 && n <= top,
		Detail: fmt.Sprintf("%d workers for %d cores", n, cores)}
	switch {
	case n < 2:
		r.Fix = "set RESYNC_WORKERS=auto (or at least 2) so a recycling worker never leaves nobody serving"
	case n > top:
		r.Fix = fmt.Sprintf("set RESYNC_WORKERS=auto or at most %d (2 × cores + 1): more workers only cost memory", top)
	}
	return r
}

func checkMemory(f Facts) Result {
	r := Result{Name: "memory limit"}
	switch {
	case f.Status == nil:
		r.Detail = "no running master to inspect"
		r.Fix = "start it (systemctl start resync) and run resync doctor again"
	case f.MemLimitErr != nil:
		r.Detail = "cannot read the master's cgroup: " + f.MemLimitErr.Error()
		r.Fix = "run resync doctor as root"
	case f.MemLimit == 0 && f.UnitMemory != "":
		r.Detail = f.UnitMemory + " is set on the unit but not in force: no memory.max or memory.high on the service's cgroup"
		r.Fix = "boot with the unified cgroup hierarchy (cgroup v2), where systemd controls memory, or limit memory another way"
	case f.MemLimit == 0:
		r.Detail = "no memory.max or memory.high on the service's cgroup"
		r.Fix = "systemctl edit resync, add [Service] MemoryHigh= and MemoryMax= (guide: 512M low, 2G medium, 4G high load)"
	default:
		r.OK = true
		r.Detail = fmt.Sprintf("%d MiB in force on the service's cgroup", f.MemLimit>>20)
	}
	return r
}

// checkLogs: journald rotates what resync writes to stderr; a log file is
// rotated by size, and must also be bounded by count or age.
func checkLogs(f Facts) Result {
	l := f.Config.Log
	if l.File == "" && l.AccessFile == "" {
		return Result{Name: "logs", OK: true, Detail: "journald only (journald rotates them)"}
	}
	r := Result{Name: "logs", Detail: fmt.Sprintf("files rotated at %d MB, %d kept, %d days",
		l.MaxSizeMB, l.MaxBackups, l.MaxAgeDays)}
	r.OK = l.MaxBackups > 0 || l.MaxAgeDays > 0
	if !r.OK {
		r.Detail += ": rotated files are never deleted"
		r.Fix = "set RESYNC_LOG_MAX_BACKUPS or RESYNC_LOG_MAX_AGE_DAYS above 0"
	}
	return r
}

func checkMetrics(f Facts) Result {
	r := Result{Name: "metrics", OK: f.Config.Metrics.Enabled, Detail: "RESYNC_METRICS=off"}
	if r.OK {
		r.Detail = "RESYNC_METRICS=on"
	} else {
		r.Fix = "set RESYNC_METRICS=on in " + f.EnvFile + ", then systemctl reload resync"
	}
	return r
}

var healthPaths = []string{"/api/v1/health/live", "/api/v1/health/ready", "/api/v1/health/startup"}

func checkHealth(ctx context.Context, f Facts) []Result {
	var rs []Result
	for _, p := range healthPaths {
		r := Result{Name: "health " + p}
		code, err := get(ctx, f.Client, f.BaseURL+p)
		switch {
		case err != nil:
			r.Detail = err.Error()
			r.Fix = "is resync running? systemctl status resync.socket resync; journalctl -u resync -p err"
		case code != http.StatusOK:
			r.Detail = fmt.Sprintf("%s answered %d", f.BaseURL+p, code)
			r.Fix = "see the failing checks in the body and journalctl -u resync -p err"
		default:
			r.OK = true
			r.Detail = fmt.Sprintf("%s answered 200", f.BaseURL+p)
		}
		rs = append(rs, r)
	}
	return rs
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
