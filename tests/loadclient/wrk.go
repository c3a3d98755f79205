package loadclient

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
)

// Wrk is wrk (github.com/wg/wrk), the other load generator that does not
// retry, running until Finish. The tests run it beside Start's clients: it
// is what a newcomer would measure with, and it keeps its connections busier
// than Go clients do.
type Wrk struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

// StartWrk runs `wrk -t2 -cCONNS -d120s --timeout 10s URL`: at most two
// minutes, and a slow answer on a loaded machine is not counted as failed.
func StartWrk(url string, conns int) (*Wrk, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return nil, fmt.Errorf("find wrk (Debian package wrk): %w", err)
	}
	w := &Wrk{out: &lockedBuffer{}}
	w.cmd = exec.Command(path, "-t2", "-c"+strconv.Itoa(conns), "-d120s", "--timeout", "10s", url)
	w.cmd.Stdout, w.cmd.Stderr = w.out, w.out
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start wrk: %w", err)
	}
	return w, nil
}

// WrkResult is wrk's summary.
type WrkResult struct {
	Requests                              int
	Connect, Read, Write, Timeout, Non2xx int
	Output                                string
}

// Failed is every request wrk counted as an error.
func (r WrkResult) Failed() int { return r.Connect + r.Read + r.Write + r.Timeout + r.Non2xx }

func (r WrkResult) String() string {
	return fmt.Sprintf("%d requests, %d failed (connect %d, read %d, write %d, timeout %d, non-2xx %d)",
		r.Requests, r.Failed(), r.Connect, r.Read, r.Write, r.Timeout, r.Non2xx)
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// Finish stops wrk with SIGINT, on which it prints its summary, and parses it.
func (w *Wrk) Finish() (WrkResult, error) {
	w.cmd.Process.Signal(syscall.SIGINT)
	w.cmd.Wait()
	r := WrkResult{Output: w.out.String()}
	m := wrkRequests.FindStringSubmatch(r.Output)
	if m == nil {
		return r, errors.New("wrk printed no summary: " + r.Output)
	}
	r.Requests, _ = strconv.Atoi(m[1])
	if s := wrkSocket.FindStringSubmatch(r.Output); s != nil {
		r.Connect, _ = strconv.Atoi(s[1])
		r.Read, _ = strconv.Atoi(s[2])
		r.Write, _ = strconv.Atoi(s[3])
		r.Timeout, _ = strconv.Atoi(s[4])
	}
	if s := wrkNon2xx.FindStringSubmatch(r.Output); s != nil {
		r.Non2xx, _ = strconv.Atoi(s[1])
	}
	return r, nil
}

// Kill ends wrk without a summary, for cleanups.
func (w *Wrk) Kill() {
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
