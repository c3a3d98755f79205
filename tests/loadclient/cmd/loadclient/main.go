// Command loadclient runs the tests' non-retrying load against a server for a
// while and prints what it saw; exit 1 when a request failed. For measuring by
// hand, say during `kill -HUP` of a master:
//
//	go run ./tests/loadclient/cmd/loadclient -addr 127.0.0.1:8000 -d 8s
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/resync/resync/tests/loadclient"
)

func main() {
	var o loadclient.Options
	flag.StringVar(&o.Network, "net", "tcp", "tcp or unix")
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:8000", "host:port, or a socket path with -net unix")
	flag.StringVar(&o.GetPath, "get", "/api/v1/health/live", "path of the GETs")
	flag.StringVar(&o.PostPath, "post", "", "path of the POSTs (default: the GET path)")
	flag.IntVar(&o.PostStatus, "post-status", 0, "status the POSTs must get (0: any below 500)")
	flag.IntVar(&o.KeepAlive, "keepalive", 8, "keep-alive GET clients")
	flag.IntVar(&o.Fresh, "fresh", 4, "fresh-connection GET clients")
	flag.IntVar(&o.Post, "posts", 4, "keep-alive POST clients")
	d := flag.Duration("d", 8*time.Second, "how long")
	flag.Parse()
	l := loadclient.Start(o)
	time.Sleep(*d)
	r := l.Stop()
	fmt.Println(r)
	if len(r.Failures) > 0 {
		os.Exit(1)
	}
}
