// Command bench measures resync against its peers in one session, side by
// side, because these machines are noisy: resync on its defaults, a plain
// single-process Go net/http server of the same endpoint, and gunicorn +
// uvicorn + FastAPI with the guide's worker count (2 × cores + 1). Rounds
// alternate between the systems; the report gives each figure's median and
// its ratio to the plain server from the same run.
//
//	go run ./tests/bench [-rounds 3] [-duration 5s] [-out docs]
//	go run ./tests/bench -compare 'RESYNC_WORKERS=1;RESYNC_WORKERS=2'
//	go run ./tests/bench -soak 10m
//
// Scenarios: steady load (req/s, latency p50/p99/max, CPU per request of the
// whole process tree, the master's share of it, idle and loaded RSS, the
// per-worker spread); failed requests and connection errors under each of HUP
// every 2 s, recycling at 500 requests, TTIN/TTOU, SIGKILL of a worker, and a
// master restart with the socket held outside it; and the time from a
// client's connect to its first answer under socket activation.
//
// With -out DIR it writes DIR/benchmarks.md and DIR/benchmarks.svg. With
// -compare, it measures steady load only, for resync with each
// ';'-separated set of settings, the first being the baseline. -soak is
// documented in soak.go.
//
// Load comes from wrk alone (it never retries). Missing tools — wrk,
// systemd-socket-activate, gunicorn and the Python packages — are installed
// with apt-get when running as root.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	plain := flag.String("plain-serve", "-", "internal: serve the plain server on this address (empty: the socket at fd 3)")
	rounds := flag.Int("rounds", 3, "rounds of steady load; each figure is the median")
	d := flag.Duration("duration", 5*time.Second, "steady load per round and system")
	faultD := flag.Duration("fault-duration", 10*time.Second, "load during each disturbance")
	conns := flag.Int("conns", 64, "wrk connections")
	threads := flag.Int("threads", 2, "wrk threads")
	out := flag.String("out", "", "write benchmarks.md and benchmarks.svg into this directory")
	compare := flag.String("compare", "", "compare resync configurations: 'K=V K=V;K=V' (first is the baseline)")
	soak := flag.Duration("soak", 0, "run the soak test for this long instead")
	only := flag.String("only", "", "measure only these systems: resync,plain,gunicorn (for a quick look; the report wants all three)")
	flag.Parse()
	if *plain != "-" {
		log.Fatal(plainServe(*plain))
	}
	check(ensureTools(*compare == "" && *soak == 0))

	dir, err := os.MkdirTemp("", "resync-bench-")
	check(err)
	defer os.RemoveAll(dir)
	h := &harness{dir: dir, resync: filepath.Join(dir, "resync"), wrk: wrkConfig{threads: *threads, conns: *conns}}
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", h.resync, "./cmd/resync")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	check(build.Run())

	switch {
	case *soak > 0:
		check(h.soak(*soak))
	case *compare != "":
		check(h.compare(strings.Split(*compare, ";"), *rounds, *d))
	default:
		keys := map[string]bool{}
		for _, k := range strings.Split(*only, ",") {
			if k != "" {
				keys[k] = true
			}
		}
		r, err := h.bench(*rounds, *d, *faultD, keys)
		check(err)
		md := r.markdown()
		fmt.Print(md)
		if *out != "" {
			check(os.WriteFile(filepath.Join(*out, "benchmarks.md"), []byte(md), 0o644))
			check(os.WriteFile(filepath.Join(*out, "benchmarks.svg"), []byte(r.svg()), 0o644))
			fmt.Fprintf(os.Stderr, "wrote %s/benchmarks.md and benchmarks.svg\n", *out)
		}
	}
}

// ensureTools checks for what the harness runs, installing it when missing.
func ensureTools(peers bool) error {
	pkgs := map[string]bool{}
	if _, err := exec.LookPath("wrk"); err != nil {
		pkgs["wrk"] = true
	}
	if peers {
		if _, err := exec.LookPath("systemd-socket-activate"); err != nil {
			pkgs["systemd"] = true
		}
		if exec.Command("/usr/bin/python3", "-c", "import fastapi, uvicorn.workers, uvloop, httptools").Run() != nil {
			for _, p := range []string{"python3-uvicorn", "python3-fastapi", "python3-uvloop", "python3-httptools"} {
				pkgs[p] = true
			}
		}
		if _, err := os.Stat("/usr/bin/gunicorn"); err != nil {
			pkgs["gunicorn"] = true
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	var list []string
	for p := range pkgs {
		list = append(list, p)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("missing packages: %s — run as root or: sudo apt-get install %s", strings.Join(list, " "), strings.Join(list, " "))
	}
	fmt.Fprintln(os.Stderr, "installing", strings.Join(list, " "))
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq", "--no-install-recommends"}, list...)} {
		c := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=600"}, args...)...)
		c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", args[0], err)
		}
	}
	return nil
}

func cpus() int { return runtime.NumCPU() }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
