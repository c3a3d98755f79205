package logging

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/resync/resync/internal/config"
)

var (
	burstLine = regexp.MustCompile(`^\S+ INFO burst w=(\d+) seq=(\d+) pad=([0-9a-z]+) worker_pid=(\d+) generation=1$`)
	dumpLine  = regexp.MustCompile(`^\S+ ERROR (.*) stream=stderr worker_pid=(\d+) generation=1$`)
)

// Several worker processes log at full speed into one master while
// lumberjack rotates by size (1 MB, its minimum) and by USR1 every few
// milliseconds, with compression on: every record is in exactly one rotated
// file, whole, exactly once.
func TestWorkersBurstWhileRotating(t *testing.T) {
	const workers, count = 4, 6000
	dir := t.TempDir()
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	m, err := NewMaster(config.LogConfig{Level: "info", Format: "text", File: filepath.Join(dir, "resync.log"),
		MaxSizeMB: 1, Compress: true}, devnull)
	if err != nil {
		t.Fatal(err)
	}

	pids := map[int]int{} // worker id -> pid
	var dones []<-chan struct{}
	for w := 0; w < workers; w++ {
		c := spawn(t, "burst", []string{"ID=" + strconv.Itoa(w), "COUNT=" + strconv.Itoa(count)})
		pids[w] = c.cmd.Process.Pid
		dones = append(dones, m.RelayWorker(c.cmd.Process.Pid, 1, c.records, c.stderr))
	}
	stop := make(chan struct{})
	var rotations sync.WaitGroup
	rotations.Add(1)
	go func() { // USR1 storm, racing the size rotations
		defer rotations.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				m.Reopen()
			}
		}
	}()
	for i, d := range dones {
		waitDone(t, fmt.Sprintf("relay of worker %d", i), d)
	}
	close(stop)
	rotations.Wait()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// lumberjack compresses backups in its own goroutine: wait until no
	// uncompressed backup is left (it removes each only after the .gz is closed).
	var files []string
	waitFor(t, "lumberjack to compress every backup", 60*time.Second, func() bool {
		files, _ = filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			if f != filepath.Join(dir, "resync.log") && !strings.HasSuffix(f, ".gz") {
				return false
			}
		}
		return true
	})
	if len(files) < 5 {
		t.Fatalf("only %d files: rotation did not happen", len(files))
	}

	seen := map[[2]int]int{}
	dumps := map[int][]string{}
	bytesTotal := 0
	for _, f := range files {
		for _, line := range readLines(t, f) {
			bytesTotal += len(line) + 1
			if sm := burstLine.FindStringSubmatch(line); sm != nil {
				w, _ := strconv.Atoi(sm[1])
				seq, _ := strconv.Atoi(sm[2])
				pid, _ := strconv.Atoi(sm[4])
				if sm[3] != padFor(w, seq) || pids[w] != pid {
					t.Fatalf("%s: torn or spliced line: %q", f, line)
				}
				seen[[2]int{w, seq}]++
				continue
			}
			if sm := dumpLine.FindStringSubmatch(line); sm != nil {
				pid, _ := strconv.Atoi(sm[2])
				dumps[pid] = append(dumps[pid], strings.Split(sm[1], `\n`)...)
				continue
			}
			t.Fatalf("%s: unexpected line (torn or interleaved?): %q", f, line)
		}
	}
	for w := 0; w < workers; w++ {
		for seq := 0; seq < count; seq++ {
			if n := seen[[2]int{w, seq}]; n != 1 {
				t.Fatalf("worker %d record %d appears %d times", w, seq, n)
			}
		}
		d := dumps[pids[w]]
		if len(d) != 300 {
			t.Fatalf("worker %d: %d stderr lines, want 300", w, len(d))
		}
		for i, l := range d {
			if l != fmt.Sprintf("dump w=%d line=%d", w, i) {
				t.Fatalf("worker %d stderr line %d is %q", w, i, l)
			}
		}
	}
	t.Logf("%d records, %d bytes, %d files", len(seen), bytesTotal, len(files))
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = gz
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s ends inside a line", path)
	}
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

var foreverLine = regexp.MustCompile(`^\S+ INFO forever seq=(\d+) pad=([0-9a-z]+) worker_pid=\d+ generation=1$`)

// A worker is SIGKILLed while its pipe is full and the master is stalled on
// a slow sink: every record whose write had returned still arrives, whole.
func TestWorkerKilledMidBurstLosesNothing(t *testing.T) {
	sr, sw, err := os.Pipe() // the master's stderr, left unread for now: a stalled sink
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	m, err := NewMaster(config.LogConfig{Level: "info"}, sw)
	if err != nil {
		t.Fatal(err)
	}
	progress, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	c := spawn(t, "forever", nil, progress)
	probe := dupFile(t, c.records) // RelayWorker takes c.records over
	defer probe.Close()
	done := m.RelayWorker(c.cmd.Process.Pid, 1, c.records, c.stderr)

	// Wait until the worker's pipe is (nearly) full: the master is blocked on
	// its stderr, and the worker is (about to be) blocked in write.
	// The relay grows the pipe (to pipeSize where fs.pipe-max-size allows).
	// A pipe is a ring of pages and a small write that does not fit the last
	// page starts a new one, so "full" is somewhat below the capacity.
	waitFor(t, "the worker's pipe to fill", 20*time.Second, func() bool {
		return pipeBytes(t, probe) > pipeCap(t, probe)*3/4
	})
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	var buf [8]byte
	if _, err := progress.ReadAt(buf[:], 0); err != nil {
		t.Fatal(err)
	}
	written := int(binary.LittleEndian.Uint64(buf[:]))

	var lines []string
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(sr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	}()
	waitDone(t, "relay after the kill", done)
	sw.Close()
	waitDone(t, "stderr reader", readDone)

	for i, l := range lines {
		sm := foreverLine.FindStringSubmatch(l)
		if sm == nil {
			t.Fatalf("line %d is not a whole record: %q", i, l)
		}
		if seq, _ := strconv.Atoi(sm[1]); seq != i || sm[2] != padFor(0, i) {
			t.Fatalf("line %d: %q: lost or damaged record", i, l)
		}
	}
	// The worker counts a record once its write returned; it may have died
	// between the write and the count.
	if len(lines) != written && len(lines) != written+1 {
		t.Fatalf("worker completed %d writes, master relayed %d records", written, len(lines))
	}
	t.Logf("worker killed after %d completed writes; %d relayed", written, len(lines))
}

func dupFile(t *testing.T, f *os.File) *os.File {
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var nfd int
	var derr error
	if err := rc.Control(func(fd uintptr) { nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		t.Fatal(err)
	}
	if derr != nil {
		t.Fatal(derr)
	}
	return os.NewFile(uintptr(nfd), "dup")
}

// pipeCap is the pipe's capacity (F_GETPIPE_SZ).
func pipeCap(t *testing.T, f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ferr error
	if err := rc.Control(func(fd uintptr) { n, ferr = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) }); err != nil {
		t.Fatal(err)
	}
	if ferr != nil {
		t.Fatal(ferr)
	}
	return n
}

// pipeBytes is how many unread bytes sit in the pipe (FIONREAD).
func pipeBytes(t *testing.T, f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }); err != nil { // TIOCINQ is FIONREAD
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatal(ierr)
	}
	return n
}
