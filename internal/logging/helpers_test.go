package logging

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resync/resync/internal/httpstatus"
)

// The test binary doubles as a worker process (as tableflip's tests do): with
// roleEnv set, TestMain runs that role instead of the tests.
const roleEnv = "RESYNC_LOGGING_TEST_ROLE"

func TestMain(m *testing.M) {
	// Tests hand NewMaster a file of their own as stderr and set
	// JOURNAL_STREAM to its device:inode when they want journald.
	stderrIsJournal = func(f *os.File) bool {
		var st syscall.Stat_t
		return syscall.Fstat(int(f.Fd()), &st) == nil &&
			os.Getenv("JOURNAL_STREAM") == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	if role := os.Getenv(roleEnv); role != "" {
		runRole(role)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func envInt(name string) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		panic(fmt.Sprintf("helper: %s: %v", name, err))
	}
	return n
}

// padFor is a deterministic payload, so that a reader can tell a torn or
// spliced line from a whole one.
func padFor(w, seq int) string {
	base := strconv.FormatInt(int64(w*1000003+seq), 36)
	n := 60 + seq%64
	return strings.Repeat(base, n/len(base)+1)[:n]
}

func runRole(role string) {
	records := os.NewFile(3, "records")
	log := NewWorker(records, slog.LevelInfo)
	switch role {
	case "burst": // COUNT records, then a fake 300-line dump on stderr
		id, count := envInt("ID"), envInt("COUNT")
		for i := 0; i < count; i++ {
			log.Logger.Info("burst", "w", id, "seq", i, "pad", padFor(id, i))
		}
		for i := 0; i < 300; i++ {
			fmt.Fprintf(os.Stderr, "dump w=%d line=%d\n", id, i)
		}
	case "forever": // log until killed; fd 4 holds how many writes completed
		progress := os.NewFile(4, "progress")
		var buf [8]byte
		for i := 0; ; i++ {
			log.Logger.Info("forever", "seq", i, "pad", padFor(0, i))
			n := uint64(i + 1)
			for j := range buf {
				buf[j] = byte(n >> (8 * j))
			}
			if _, err := progress.WriteAt(buf[:], 0); err != nil {
				panic(err)
			}
		}
	case "panic": // a real Go panic with every goroutine dumped
		log.Logger.Error("about to panic")
		for i := 0; i < 3; i++ {
			go func() { select {} }()
		}
		panic("boom")
	case "dump": // many small stderr writes, as the runtime's traceback does
		for i := 0; i < 2500; i++ {
			fmt.Fprintf(os.Stderr, "dump line %d\n", i)
		}
	case "count": // COUNT records as fast as possible (benchmark)
		count := envInt("COUNT")
		for i := 0; i < count; i++ {
			log.Logger.Info("bench", "seq", i, "method", "GET", "path", "/api/v1/health/live", "status", 200)
		}
	case "server": // an HTTP worker: access log per ACCESS, address to fd 4
		serveHTTP(log, os.Getenv("ACCESS") == "on", os.NewFile(4, "addr"))
	case "journald": // a journald that receives and discards, on SOCK
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: os.Getenv("SOCK"), Net: "unixgram"})
		if err != nil {
			panic(err)
		}
		_ = conn.SetReadBuffer(8 << 20)
		ready := os.NewFile(4, "ready")
		ready.Close()
		buf := make([]byte, 16<<20)
		for {
			if _, err := conn.Read(buf); err != nil {
				panic(err)
			}
		}
	case "load": // CONNS keep-alive clients send COUNT requests to ADDR in total
		loadHTTP(os.Getenv("ADDR"), envInt("CONNS"), envInt("COUNT"))
	default:
		panic("unknown role " + role)
	}
}

type child struct {
	cmd     *exec.Cmd
	records *os.File // read ends, for RelayWorker
	stderr  *os.File
}

// spawn starts the test binary in role, with the records pipe as fd 3 and
// extra files from fd 4, as the master would.
func spawn(t testing.TB, role string, env []string, extra ...*os.File) *child {
	t.Helper()
	recR, recW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roleEnv+"="+role, "GOTRACEBACK=all")
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = append([]*os.File{recW}, extra...)
	cmd.Stderr = errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	recW.Close()
	errW.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		recR.Close()
		errR.Close()
	})
	return &child{cmd: cmd, records: recR, stderr: errR}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitDone(t testing.TB, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// accessMW serves next and logs each request on a, as the worker's handler
// chain does (worker.chain).
func accessMW(a *AccessLog) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := httpstatus.Get(w, nil)
			defer httpstatus.Put(sw)
			next.ServeHTTP(sw, r)
			a.Log(r, sw, time.Since(start))
		})
	}
}
