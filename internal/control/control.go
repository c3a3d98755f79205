// Package control owns the master's control socket: a unix stream socket in
// the runtime directory through which `resync reload` and `resync status` talk
// to a running master. One JSON request line in, one JSON response line out.
//
// `resync reload` exists because systemctl reload waits for ExecReload= to
// exit, and a bare `kill -HUP` exits at once: through the socket the command
// returns only when the new workers are ready, or fails with the reason.
package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/resync/resync/internal/protocol"
)

// SocketName is the control socket's file name inside the runtime directory.
const SocketName = "control.sock"

// Path returns the control socket path for a runtime directory.
func Path(runtimeDir string) string { return filepath.Join(runtimeDir, SocketName) }

// Request is what a client asks.
type Request struct {
	Cmd string `json:"cmd"` // "reload" | "status" | "metrics" | "gc"
}

// Response is the master's answer.
type Response struct {
	OK     bool      `json:"ok"`
	Error  string    `json:"error,omitempty"`
	Status *Snapshot `json:"status,omitempty"`
	// Data is the answer to "metrics" (a metrics.Report) and "gc" (an array
	// of metrics.GCWorker), passed through as the master built it.
	Data json.RawMessage `json:"data,omitempty"`
}

// Snapshot is the master's state as `resync status` shows it.
type Snapshot struct {
	PID        int       `json:"pid"`
	Started    time.Time `json:"started"`
	Generation int       `json:"generation"`
	Target     int       `json:"target_workers"`
	Requests   uint64    `json:"requests"`
	LastReload string    `json:"last_reload"`
	Workers    []Worker  `json:"workers"`

	// For the monitor, which is handed this table on every sample: the
	// counts of every worker gone, and why they went (by Departure reason).
	Retired    protocol.Counters `json:"-"`
	Departures map[string]uint64 `json:"-"`
}

// Why a worker left the table, as /api/v1/metrics counts it.
const (
	DepartExit    = "exit"    // died on its own, or never booted
	DepartRecycle = "recycle" // max requests or max RSS
	DepartTimeout = "timeout" // killed for RESYNC_TIMEOUT
	DepartReload  = "reload"  // replaced by a newer generation
	DepartStop    = "stop"    // scaled down (TTOU) or shut down
)

// Worker is one row of the worker table.
type Worker struct {
	PID           int       `json:"pid"`
	Generation    int       `json:"generation"`
	State         string    `json:"state"` // booting | ready | recycling | retiring | killing
	Started       time.Time `json:"started"`
	Requests      uint64    `json:"requests"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
	RSSBytes      uint64    `json:"rss_bytes"`

	Counters protocol.Counters `json:"-"` // its last heartbeat's; Requests is Counters.Requests
}

// Call is a request in flight inside the master: the server hands it to the
// master loop and waits on Reply.
type Call struct {
	Request
	Reply chan Response
}

// Serve accepts on l until it is closed, passing each request to calls.
func Serve(l net.Listener, calls chan<- Call) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go handle(c, calls)
	}
}

func handle(c net.Conn, calls chan<- Call) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var req Request
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		json.NewEncoder(c).Encode(Response{Error: "bad request: " + err.Error()})
		return
	}
	call := Call{Request: req, Reply: make(chan Response, 1)}
	calls <- call
	json.NewEncoder(c).Encode(<-call.Reply)
}

// Listen binds the control socket at path. A live master already on it is an
// error; a stale file from a dead one is replaced.
func Listen(path string) (net.Listener, error) {
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another resync master is running", path)
	}
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	os.Chmod(path, 0o660)
	return l, nil
}

// ErrNoMaster means nothing answers on the control socket.
var ErrNoMaster = errors.New("no resync master is running")

// Do sends one request and waits up to timeout for the answer.
func Do(path string, req Request, timeout time.Duration) (Response, error) {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return Response{}, fmt.Errorf("%w (control socket %s: %v)", ErrNoMaster, path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return Response{}, fmt.Errorf("send %s: %w", req.Cmd, err)
	}
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return Response{}, fmt.Errorf("read %s answer: %w", req.Cmd, err)
	}
	return resp, nil
}

// Data asks for a command whose answer is Response.Data.
func Data(path, cmd string, timeout time.Duration) (json.RawMessage, error) {
	resp, err := Do(path, Request{Cmd: cmd}, timeout)
	if err != nil {
		return nil, err
	}
	if !resp.OK {
		return nil, fmt.Errorf("%s: %s", cmd, resp.Error)
	}
	return resp.Data, nil
}

// Status asks a running master for its worker table.
func Status(path string) (Snapshot, error) {
	resp, err := Do(path, Request{Cmd: "status"}, 5*time.Second)
	if err != nil {
		return Snapshot{}, err
	}
	if !resp.OK || resp.Status == nil {
		return Snapshot{}, fmt.Errorf("status: %s", resp.Error)
	}
	return *resp.Status, nil
}
