package logging

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
)

func serveHTTP(log *Worker, access bool, addrOut *os.File) {
	body := []byte(`{"status":"alive","timestamp":"2026-01-01T00:00:00Z"}`)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-ID", "3f2a9c4e-1b2d-4c3e-9f8a-7b6c5d4e3f2a")
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mw := accessMW(log.AccessLog(config.LogConfig{Access: access}, nil))
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
	b.Run("sink=text", func(b *testing.B) {
		m := discardMaster(b)
		benchAccessProcesses(b, m)
	})
	// journald: the master sends each record as a datagram to a journald
	// stand-in process that discards it (real journald's own cost, which is
	// far higher per entry, is not included).
	b.Run("sink=journald", func(b *testing.B) {
		sock := filepath.Join(b.TempDir(), "journal.sock")
		rr, rw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		spawn(b, "journald", []string{"SOCK=" + sock}, rw)
		rw.Close()
		_, _ = io.ReadAll(rr) // closed once the socket is bound
		rr.Close()
		old := journalSocket
		journalSocket = sock
		defer func() { journalSocket = old }()
		stderr := devNull(b)
		fi, err := stderr.Stat()
		if err != nil {
			b.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		b.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
		m, err := NewMaster(config.LogConfig{Level: "info"}, stderr)
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		if m.journal == nil {
			b.Fatal("master did not pick journald")
		}
		benchAccessProcesses(b, m)
	})
}

func benchAccessProcesses(b *testing.B, m *Master) {
	start := func(mode string) (string, int) {
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
		return strings.TrimSpace(addr), c.cmd.Process.Pid
	}
	offAddr, offPID := start("off")
	onAddr, onPID := start("on")
	// load runs one load process and returns the wall time and the CPU
	// time of the load process, the server, and this process (the master).
	load := func(addr string, server, n int) (wall, loadCPU, srvCPU, masterCPU time.Duration) {
		t0, s0, m0 := time.Now(), procCPU(b, server), cpuTime()
		c := spawn(b, "load", []string{"ADDR=" + addr, "CONNS=32", fmt.Sprintf("COUNT=%d", n)})
		if err := c.cmd.Wait(); err != nil {
			b.Fatalf("load: %v", err)
		}
		return time.Since(t0), c.cmd.ProcessState.UserTime() + c.cmd.ProcessState.SystemTime(),
			procCPU(b, server) - s0, cpuTime() - m0
	}
	load(offAddr, offPID, 2000)
	load(onAddr, onPID, 2000)
	const round = 20000
	var tOff, tOn, lOff, lOn, sOff, sOn, mOff, mOn time.Duration
	b.ResetTimer()
	for left := b.N; left > 0; left -= round {
		n := min(left, round)
		w, l, s, m := load(offAddr, offPID, n)
		tOff, lOff, sOff, mOff = tOff+w, lOff+l, sOff+s, mOff+m
		w, l, s, m = load(onAddr, onPID, n)
		tOn, lOn, sOn, mOn = tOn+w, lOn+l, sOn+s, mOn+m
	}
	b.StopTimer()
	off, on := float64(b.N)/tOff.Seconds(), float64(b.N)/tOn.Seconds()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(off, "req/s-off")
	b.ReportMetric(on, "req/s-on")
	b.ReportMetric(on/off, "on/off")
	// Wall time on a shared 2-core machine is noisy; CPU time is not. With
	// the cores saturated, throughput is inverse to CPU per request, so the
	// CPU ratio predicts on/off without the noise.
	// The master's CPU with the access log off is this harness's own
	// (spawning the load process), so only the difference counts.
	b.ReportMetric(per(lOff+sOff)/per(lOn+sOn+mOn-mOff), "cpu-on/off")
	b.ReportMetric(per(sOff), "server-cpu-ns/req-off")
	b.ReportMetric(per(sOn), "server-cpu-ns/req-on")
	b.ReportMetric(per(mOn-mOff), "master-cpu-ns/req")
	b.ReportMetric(per(lOn), "load-cpu-ns/req")
}

// procCPU is a process's user+system time from /proc/<pid>/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	var ut, st int64
	fmt.Sscan(f[11], &ut)                           // utime, field 14
	fmt.Sscan(f[12], &st)                           // stime, field 15
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
