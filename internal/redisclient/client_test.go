package redisclient

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/redistest"
)

func testConfig(url string) config.RedisConfig {
	return config.RedisConfig{URL: url, PoolMin: 1, PoolMax: 4,
		DialTimeout: time.Second, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
}

// TestFaults: a healthy server answers; a killed one is reported as the
// guide's ConnectionRefusedError; a frozen one costs one read timeout, not
// go-redis's 5 s × retries; a restarted one is used again without help.
func TestFaults(t *testing.T) {
	srv := redistest.Start(t)
	c, err := New(testConfig(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if r := Ping(ctx, c); r.Err != nil {
		t.Fatalf("ping: %v", r.Err)
	}

	srv.Stop()
	start := time.Now()
	r := Ping(ctx, c)
	took := time.Since(start)
	srv.Cont()
	if r.Err == nil || !strings.Contains(r.Err.Error(), "timeout") {
		t.Errorf("ping of a frozen server: %v, want a timeout", r.Err)
	}
	if took > 900*time.Millisecond { // the read timeout is 200 ms; probeTimeout is 1 s
		t.Errorf("ping of a frozen server took %v", took)
	}

	srv.Kill()
	var last Report
	for range 3 { // pooled connections fail first, then dials are refused
		last = Ping(ctx, c)
	}
	if last.Err == nil || !strings.Contains(last.Err.Error(), "ConnectionRefusedError") {
		t.Errorf("ping of a killed server: %v, want ConnectionRefusedError", last.Err)
	}

	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for Ping(ctx, c).Err != nil {
		if time.Now().After(deadline) {
			t.Fatal("client did not recover after the restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := dir + "/redis.sock"
	_ = redistest.Start(t, "unixsocket "+sock, "unixsocketperm 700")
	c, err := New(testConfig("unix://" + sock + "?db=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("set over the unix socket: %v", err)
	}
}
