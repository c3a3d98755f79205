package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// What /proc says about a server's processes. CPU is counted for the whole
// tree: a process's own utime+stime plus cutime+cstime, which hold the
// children it has reaped — so a worker recycled during a measurement is
// counted too — plus the live children's own.

var clockTick = 100.0 // USER_HZ: 100 on every Linux the project builds for

// stat is the fields of /proc/PID/stat the harness reads.
type stat struct {
	utime, stime, cutime, cstime float64 // in ticks
	rssPages                     float64
}

func readStat(pid int) (stat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, false
	}
	// comm may hold spaces and parentheses: the fields start after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 22 {
		return stat{}, false
	}
	num := func(k int) float64 { v, _ := strconv.ParseFloat(f[k], 64); return v }
	// f[0] is field 3 (state): field n is f[n-3].
	return stat{utime: num(11), stime: num(12), cutime: num(13), cstime: num(14), rssPages: num(21)}, true
}

// children lists pid's direct children.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// treeCPU is the CPU seconds pid and its children have used, reaped
// children included.
func treeCPU(pid int) float64 {
	st, _ := readStat(pid)
	ticks := st.utime + st.stime + st.cutime + st.cstime
	for _, c := range children(pid) {
		cs, _ := readStat(c)
		ticks += cs.utime + cs.stime + cs.cutime + cs.cstime
	}
	return ticks / clockTick
}

// ownCPU is the CPU seconds pid itself has used.
func ownCPU(pid int) float64 {
	st, _ := readStat(pid)
	return (st.utime + st.stime) / clockTick
}

// rssMB is pid's resident memory in MB (0 when it is gone).
func rssMB(pid int) float64 {
	st, _ := readStat(pid)
	return st.rssPages * float64(os.Getpagesize()) / (1 << 20)
}

// memory is one sample of a server's resident memory.
type memory struct {
	master    float64 // the master (or the only process)
	workerMax float64 // the largest worker
	workers   int
}

func sampleMemory(pid int, hasWorkers bool) memory {
	m := memory{master: rssMB(pid)}
	if !hasWorkers {
		return m
	}
	for _, c := range children(pid) {
		if r := rssMB(c); r > 0 {
			m.workerMax = max(m.workerMax, r)
			m.workers++
		}
	}
	return m
}

// listening reports whether a TCP socket listens on 127.0.0.1:port, from
// /proc/net/tcp — without connecting, which would trigger socket activation.
func listening(port int) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return true
		}
	}
	return false
}
