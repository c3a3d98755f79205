package logging

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
)

func serveHTTP(log *slog.Logger, access bool, addrOut *os.File) {
	body := []byte(`{"status":"alive","timestamp":"2026-01-01T00:00:00Z"}`)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-ID", "3f2a9c4e-1b2d-4c3e-9f8a-7b6c5d4e3f2a")
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mw, err := AccessLog(log, config.LogConfig{Access: access})
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(addrOut, ln.Addr())
	addrOut.Close()
	panic(http.Serve(ln, mw(app)))
}

// loadHTTP is a small keep-alive load generator, much lighter than
// net/http's client, in the spirit of wrk.
func loadHTTP(addr string, conns, count int) {
	req := []byte("GET /api/v1/health/live HTTP/1.1\r\nHost: bench\r\nUser-Agent: resync-load\r\n\r\n")
	var left atomic.Int64
	left.Store(int64(count))
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				panic(err)
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for left.Add(-1) >= 0 {
				if _, err := conn.Write(req); err != nil {
					panic(err)
				}
				n := -1
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						panic(err)
					}
					if len(line) <= 2 {
						break
					}
					if v, ok := strings.CutPrefix(string(line), "Content-Length: "); ok {
						fmt.Sscan(v, &n)
					}
				}
				if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
					panic(err)
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkAccessLogProcesses is the deployment shape on this machine: a
// worker process serving HTTP with the access log off and another with it
// on, this process as their master relaying records (text to /dev/null), and
// a separate load process driving one server at a time, in alternating
// rounds so that outside load hits both alike. b.N is requests per mode.
// Reported: req/s off and on, their ratio, and the master's CPU per access
// record relayed.
func BenchmarkAccessLogProcesses(b *testing.B) {
	b.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "info"}, devNull(b))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	start := func(mode string) string {
		ar, aw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		defer ar.Close()
		c := spawn(b, "server", []string{"ACCESS=" + mode}, aw)
		aw.Close()
		m.RelayWorker(c.cmd.Process.Pid, 1, c.records, c.stderr)
		addr, err := bufio.NewReader(ar).ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		return strings.TrimSpace(addr)
	}
	offAddr, onAddr := start("off"), start("on")
	load := func(addr string, n int) time.Duration {
		t0 := time.Now()
		c := spawn(b, "load", []string{"ADDR=" + addr, "CONNS=32", fmt.Sprintf("COUNT=%d", n)})
		if err := c.cmd.Wait(); err != nil {
			b.Fatalf("load: %v", err)
		}
		return time.Since(t0)
	}
	load(offAddr, 2000)
	load(onAddr, 2000)
	const round = 20000
	var tOff, tOn, masterCPU time.Duration
	b.ResetTimer()
	for left := b.N; left > 0; left -= round {
		n := min(left, round)
		tOff += load(offAddr, n)
		c0 := cpuTime()
		tOn += load(onAddr, n)
		masterCPU += cpuTime() - c0
	}
	b.StopTimer()
	off, on := float64(b.N)/tOff.Seconds(), float64(b.N)/tOn.Seconds()
	b.ReportMetric(off, "req/s-off")
	b.ReportMetric(on, "req/s-on")
	b.ReportMetric(on/off, "on/off")
	b.ReportMetric(float64(masterCPU.Nanoseconds())/float64(b.N), "master-cpu-ns/req")
}
