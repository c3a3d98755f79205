// Command bench measures resync against a baseline in the same run, side by
// side, because these machines are noisy: a plain single-process Go net/http
// server answering the same endpoint, then resync with several worker counts.
// Rounds alternate between targets; the median of each is printed with its
// ratio to the baseline and the resident memory of all its processes.
//
//	go run ./tests/bench [-duration 5s] [-rounds 3] [-conns 64] [-workers 1,2,auto,5]
//	go run ./tests/bench -compare 'RESYNC_ACCESS_LOG=off;RESYNC_ACCESS_LOG=on'
//
// With -compare, the targets are resync with each ';'-separated set of
// settings (space-separated KEY=VALUE), the first being the baseline.
//
// Load comes from wrk when it is installed (Debian package wrk), otherwise
// from a keep-alive Go client in this process.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	serve := flag.String("baseline-serve", "", "internal: run the baseline server on this address")
	duration := flag.Duration("duration", 5*time.Second, "load per round and target")
	rounds := flag.Int("rounds", 3, "rounds; each target's median is reported")
	conns := flag.Int("conns", 64, "concurrent connections")
	workers := flag.String("workers", "1,2,auto,5", "resync worker counts to measure")
	path := flag.String("path", "/api/v1/health/live", "endpoint")
	compare := flag.String("compare", "", "compare resync configurations instead: 'K=V K=V;K=V' (first is the baseline)")
	flag.Parse()
	if *serve != "" {
		log.Fatal(baseline(*serve))
	}

	dir, err := os.MkdirTemp("", "resync-bench-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "resync")
	build := exec.Command("go", "build", "-o", bin, "./cmd/resync")
	build.Stderr = os.Stderr
	check(build.Run())

	resync := func(i int, settings ...string) func(addr string) *exec.Cmd {
		return func(addr string) *exec.Cmd {
			c := exec.Command(bin, "serve")
			c.Env = append(os.Environ(), "RESYNC_ENV_FILE=", "RESYNC_BIND="+addr, "RESYNC_ACCESS_LOG=off",
				fmt.Sprintf("RESYNC_RUNTIME_DIR=%s/run-%d", dir, i))
			c.Env = append(c.Env, settings...)
			return c
		}
	}
	var targets []*target
	if *compare != "" {
		for i, set := range strings.Split(*compare, ";") {
			targets = append(targets, &target{name: "resync " + set, start: resync(i, strings.Fields(set)...)})
		}
	} else {
		targets = append(targets, &target{name: "baseline: net/http, 1 process", start: func(addr string) *exec.Cmd {
			return exec.Command(os.Args[0], "-baseline-serve", addr)
		}})
		for i, w := range strings.Split(*workers, ",") {
			targets = append(targets, &target{name: "resync, workers=" + w, start: resync(i, "RESYNC_WORKERS="+w)})
		}
	}
	load := goLoad
	if _, err := exec.LookPath("wrk"); err == nil {
		load = wrkLoad
	}
	for r := 0; r < *rounds; r++ {
		for _, t := range targets {
			rps, rss := t.measure(*path, *duration, *conns, load)
			t.rps = append(t.rps, rps)
			t.rss = append(t.rss, rss)
			fmt.Fprintf(os.Stderr, "round %d %-32s %10.0f req/s %7.1f MB\n", r+1, t.name, rps, rss)
		}
	}
	base := median(targets[0].rps)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\treq/s (median of %d)\tratio\tRSS MB (all processes)\t\n", *rounds)
	for _, t := range targets {
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.1f\t\n", t.name, median(t.rps), median(t.rps)/base, median(t.rss))
	}
	tw.Flush()
}

type target struct {
	name  string
	start func(addr string) *exec.Cmd
	rps   []float64
	rss   []float64
}

func (t *target) measure(path string, d time.Duration, conns int, load func(url string, d time.Duration, conns int) float64) (float64, float64) {
	addr := freeAddr()
	cmd := t.start(addr)
	check(cmd.Start())
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	url := "http://" + addr + path
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(url); err == nil && resp.StatusCode == 200 {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log.Fatalf("%s never answered on %s", t.name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let every worker finish booting before load
	rps := load(url, d, conns)
	return rps, treeRSS(cmd.Process.Pid)
}

// baseline is the plainest Go server of the same endpoint: the upper bound.
func baseline(addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/health/live", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"alive","timestamp":%q}`+"\n", time.Now().UTC().Format(time.RFC3339Nano))
	})
	return http.ListenAndServe(addr, mux)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().String()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
