package logging

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
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
	NewWorker(&buf, slog.LevelInfo).Info("request", "kind", "access", "client", "203.0.113.7",
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
		b.Setenv("JOURNAL_STREAM", "")
		m, err := NewMaster(config.LogConfig{Level: "info"}, devNull(b))
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
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
	b.Setenv("JOURNAL_STREAM", "")
	m, err := NewMaster(config.LogConfig{Level: "info"}, devNull(b))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
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

func devNull(b *testing.B) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// BenchmarkAccessLog: requests/s of a loopback HTTP server with the access
// log off and on. "on" is the whole path: middleware, worker pipe, master
// relay (in this process) and text to /dev/null.
func BenchmarkAccessLog(b *testing.B) {
	body := []byte(`{"status":"alive","timestamp":"2026-01-01T00:00:00Z"}`)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-ID", "3f2a9c4e-1b2d-4c3e-9f8a-7b6c5d4e3f2a")
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			b.Setenv("JOURNAL_STREAM", "")
			m, err := NewMaster(config.LogConfig{Level: "info"}, devNull(b))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			pr, pw, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			done := m.RelayWorker(1, 1, pr, nil)
			mw, err := AccessLog(NewWorker(pw, slog.LevelInfo), config.LogConfig{Access: on})
			if err != nil {
				b.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: mw(app)}
			go srv.Serve(ln)
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			client := &http.Client{Transport: tr}
			url := "http://" + ln.Addr().String() + "/api/v1/health/live"
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			srv.Close()
			tr.CloseIdleConnections()
			pw.Close()
			<-done
		})
	}
}
