package loadclient

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A server that answers every request: no failure, every kind of client served.
func TestHealthyServerNoFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.Write([]byte(`{"status":"alive"}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	l := Start(Options{Addr: ln.Addr().String(), KeepAlive: 2, Fresh: 2, Post: 2})
	if err := l.WaitOK(300, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r := l.Stop()
	if len(r.Failures) != 0 {
		t.Fatalf("failures against a healthy server: %s", r)
	}
}

// A server that answers once per connection and then closes without saying
// so: each second request on a connection is a reused-connection failure, which
// net/http's Transport would have retried.
func TestCloseAfterAnswerIsAFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				http.ReadRequest(br) // the next request arrives; drop it
			}()
		}
	}()
	l := Start(Options{Addr: ln.Addr().String(), KeepAlive: 1})
	deadline := time.Now().Add(20 * time.Second)
	for l.Failed() < 10 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r := l.Stop()
	if r.Failed(func(f Failure) bool { return f.Reused && f.Client == KeepAliveGET }) < 10 || r.OK < 10 {
		t.Fatalf("want reused-connection failures and answers: %s", r)
	}
	if !strings.Contains(r.String(), "keep-alive GET") {
		t.Errorf("summary lacks the client kind: %s", r)
	}
}
