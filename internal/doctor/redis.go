package doctor

import (
	"fmt"
	"time"
)

// RedisFacts is what resync doctor found of the Redis the workers use.
type RedisFacts struct {
	Refused  error         // the configuration resync serve refuses (production without Redis)
	Where    string        // RESYNC_REDIS_URL with its password masked, or the embedded store's socket
	Embedded bool          // the master's embedded store (one host, in memory)
	Latency  time.Duration // of one PING
	Err      error         // the PING's failure
}

// checkRedis: production needs a real Redis that answers; the embedded store
// passes on a development host only (it is one host's, in memory).
func checkRedis(f Facts) Result {
	r := f.Redis
	res := Result{Name: "redis"}
	pong := fmt.Sprintf("PONG in %.1f ms", float64(r.Latency.Microseconds())/1000)
	switch {
	case r.Refused != nil:
		res.Detail = r.Refused.Error()
		res.Fix = "apt install redis-server, set RESYNC_REDIS_URL=redis://127.0.0.1:6379/0 in " + f.EnvFile +
			" (several hosts: a Redis they all reach), then systemctl restart resync"
	case r.Err != nil && r.Embedded:
		res.Detail = "embedded (single host) at " + r.Where + ": " + r.Err.Error()
		res.Fix = "start resync (systemctl start resync): its master serves the embedded store"
	case r.Err != nil:
		res.Detail = r.Where + ": " + r.Err.Error()
		res.Fix = "is Redis running and reachable from here? systemctl status redis-server; redis-cli -u URL ping; " +
			"correct RESYNC_REDIS_URL in " + f.EnvFile + " if it is wrong"
	case r.Embedded:
		res.OK = !production(f)
		res.Detail = "embedded (single host): " + pong + "; in memory, lost on restart, not for production"
		if !res.OK {
			res.Fix = "for several hosts, or limits and sessions that survive a restart, set RESYNC_REDIS_URL to a real Redis " +
				"(redis://127.0.0.1:6379/0 with apt's redis-server) in " + f.EnvFile + ", then systemctl restart resync"
		}
	default:
		res.OK = true
		res.Detail = r.Where + ": " + pong
	}
	return res
}
