package logging

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/clientip"
	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/tests/loadclient"
)

// repeatReader yields line n times: a worker's pipe without the worker, to
// measure the master's side of the relay alone.
type repeatReader struct {
	line []byte
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if r.n == 0 {
			if total == 0 {
				return 0, io.EOF
			}
			break
		}
		c := copy(p, r.line[r.off:])
		p, total, r.off = p[c:], total+c, r.off+c
		if r.off == len(r.line) {
			r.off, r.n = 0, r.n-1
		}
	}
	return total, nil
}

func wireLine(b *testing.B) []byte {
	var buf bytes.Buffer
	NewWorker(&buf, slog.LevelInfo).Logger.Info("request", "kind", "access", "client", "203.0.113.7",
		"method", "GET", "path", "/api/v1/plan/job", "query", "", "proto", "HTTP/1.1", "status", 200,
		"bytes", 1234, "duration_us", 456, "user_agent", "curl/8.5.0", "referer", "", "correlation_id", "3f2a9c")
	return buf.Bytes()
}

// BenchmarkRelay: records/s the master relays from one worker pipe to a sink,
// and allocations per record.
func BenchmarkRelay(b *testing.B) {
	line := wireLine(b)
	run := func(b *testing.B, m *Master) {
		b.ReportAllocs()
		b.SetBytes(int64(len(line)))
		b.ResetTimer()
		<-m.RelayWorker(1, 1, &repeatReader{line: line, n: b.N}, nil)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
	b.Run("text-stderr", func(b *testing.B) {
		m := discardMaster(b)
		run(b, m)
	})
	b.Run("text-stderr+file", func(b *testing.B) {
		b.Setenv("JOURNAL_STREAM", "")
		m, err := NewMaster(config.LogConfig{Level: "info", File: filepath.Join(b.TempDir(), "r.log"),
			MaxSizeMB: 100}, devNull(b))
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		run(b, m)
	})
	b.Run("journald", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "j.sock")
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		go func() { // a journald that reads and discards
			buf := make([]byte, 1<<20)
			for {
				if _, err := conn.Read(buf); err != nil {
					return
				}
			}
		}()
		old := journalSocket
		journalSocket = path
		defer func() { journalSocket = old }()
		stderr := devNull(b)
		fi, _ := stderr.Stat()
		st := fi.Sys().(*syscall.Stat_t)
		b.Setenv("JOURNAL_STREAM", strconv.FormatUint(st.Dev, 10)+":"+strconv.FormatUint(st.Ino, 10))
		m, err := NewMaster(config.LogConfig{Level: "info"}, stderr)
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		run(b, m)
	})
}

// BenchmarkWorkerBurst: a real worker process logs b.N records as fast as it
// can; reported is the master's CPU time per record (user+system of this
// process, which does nothing else meanwhile) and the records/s achieved.
func BenchmarkWorkerBurst(b *testing.B) {
	m := discardMaster(b)
	c := spawn(b, "count", []string{"COUNT=" + strconv.Itoa(b.N)})
	before := cpuTime()
	b.ResetTimer()
	<-m.RelayWorker(c.cmd.Process.Pid, 1, c.records, c.stderr)
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "master-cpu-ns/record")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func devNull(tb testing.TB) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// discardMaster is a text master writing to /dev/null: the sink costs
// nothing, so a benchmark measures the path up to it.
func discardMaster(b *testing.B) *Master {
	b.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "info"}, devNull(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkAccessLog: requests/s of a loopback HTTP server with the access
// log off and on, and their ratio. "on" is the whole path: middleware, worker
// pipe, master relay (in this process) and text to /dev/null. The two
// servers run side by side and are measured in alternating rounds of 500
// requests from 16 clients, so that load from elsewhere on the machine hits
// both alike. b.N is the number of requests per mode.
func BenchmarkAccessLog(b *testing.B) {
	body := []byte(`{"status":"alive","timestamp":"2026-01-01T00:00:00Z"}`)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-ID", "3f2a9c4e-1b2d-4c3e-9f8a-7b6c5d4e3f2a")
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	m := discardMaster(b)
	serve := func(on bool) (url string, stop func()) {
		pr, pw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		done := m.RelayWorker(1, 1, pr, nil)
		mw := accessMW(NewWorker(pw, slog.LevelInfo).AccessLog(config.LogConfig{Access: on}, nil))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: mw(app)}
		go srv.Serve(ln)
		return ln.Addr().String(), func() {
			srv.Close()
			pw.Close()
			<-done
		}
	}
	offURL, stopOff := serve(false)
	defer stopOff()
	onURL, stopOn := serve(true)
	defer stopOn()
	const clients, round = 16, 500
	run := func(url string, n int) time.Duration {
		took, err := loadclient.Requests(loadclient.Options{Addr: url, KeepAlive: clients}, int64(n), time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		return took
	}
	run(offURL, round) // warm up connections on both
	run(onURL, round)
	b.ResetTimer()
	var tOff, tOn, cOff, cOn time.Duration
	for left := b.N; left > 0; left -= round {
		n := min(left, round)
		c0 := cpuTime()
		tOff += run(offURL, n)
		c1 := cpuTime()
		tOn += run(onURL, n)
		cOff, cOn = cOff+c1-c0, cOn+cpuTime()-c1
	}
	b.StopTimer()
	off := float64(b.N) / tOff.Seconds()
	on := float64(b.N) / tOn.Seconds()
	b.ReportMetric(off, "req/s-off")
	b.ReportMetric(on, "req/s-on")
	b.ReportMetric(on/off, "on/off")
	// CPU of this process (client and server) per request: less noisy than
	// wall time on a shared machine. The difference is the access log's cost.
	b.ReportMetric(float64(cOff.Nanoseconds())/float64(b.N), "cpu-ns/req-off")
	b.ReportMetric(float64(cOn.Nanoseconds())/float64(b.N), "cpu-ns/req-on")
}

// BenchmarkAccessPath: CPU per request of the access log alone, without
// HTTP: middleware, worker encoding, pipe, master relay, text to /dev/null.
func BenchmarkAccessPath(b *testing.B) {
	m := discardMaster(b)
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	done := m.RelayWorker(1, 1, pr, nil)
	mw := accessMW(NewWorker(pw, slog.LevelInfo).AccessLog(config.LogConfig{Access: true}, clientip.New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-ID", "3f2a9c4e-1b2d-4c3e-9f8a-7b6c5d4e3f2a")
		w.Write([]byte("{}"))
	}))
	req, _ := http.NewRequest("GET", "http://x/api/v1/health/live", nil)
	req.RemoteAddr = "192.0.2.1:43210"
	req.Header.Set("User-Agent", "wrk")
	rec := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	c0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(rec, req)
	}
	pw.Close()
	<-done
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/req")
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
