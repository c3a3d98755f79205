package redisclient

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url  string
		kind kind
		want string // addresses, network, master, db, user/password as parsed
	}{
		{"redis://127.0.0.1:6379/2", single, "tcp 127.0.0.1:6379 db=2"},
		{"redis://:pw@10.0.0.5:6379", single, "tcp 10.0.0.5:6379 db=0 :pw"},
		{"rediss://u:pw@cache.example:6380/0", single, "tcp cache.example:6380 db=0 u:pw tls"},
		{"unix:///run/redis/redis.sock?db=3", single, "unix /run/redis/redis.sock db=3"},
		{"redis+sentinel://s1:26379,s2:26379,s3:26379/mymaster", sentinel, "s1:26379,s2:26379,s3:26379 master=mymaster db=0"},
		{"redis+sentinel://:pw@s1:26379/mymaster/4", sentinel, "s1:26379 master=mymaster db=4 :pw"},
		{"rediss+sentinel://s1:26379/m", sentinel, "s1:26379 master=m db=0 tls"},
		{"redis+cluster://n1:7000,n2:7001", cluster, "n1:7000,n2:7001"},
		{"redis+cluster://:pw@n1:7000?client_name=x", cluster, "n1:7000 :pw"},
	}
	for _, tt := range tests {
		p, err := parseURL(tt.url)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if p.kind != tt.kind {
			t.Errorf("%s: kind %d, want %d", tt.url, p.kind, tt.kind)
		}
		if got := describe(p); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.url, got, tt.want)
		}
	}
}

func describe(p parsed) string {
	var f []string
	cred := func(u, pw string) {
		if u != "" || pw != "" {
			f = append(f, u+":"+pw)
		}
	}
	switch p.kind {
	case single:
		o := p.simple
		f = append(f, o.Network, o.Addr, "db="+itoa(o.DB))
		cred(o.Username, o.Password)
		if o.TLSConfig != nil {
			f = append(f, "tls")
		}
	case sentinel:
		o := p.failover
		f = append(f, strings.Join(o.SentinelAddrs, ","), "master="+o.MasterName, "db="+itoa(o.DB))
		cred(o.Username, o.Password)
		if o.SentinelPassword != "" {
			f = append(f, "sentinel-password")
		}
		if o.TLSConfig != nil {
			f = append(f, "tls")
		}
	case cluster:
		o := p.cluster
		f = append(f, strings.Join(o.Addrs, ","))
		cred(o.Username, o.Password)
	}
	return strings.Join(f, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestParseURLErrors(t *testing.T) {
	for url, want := range map[string]string{
		"localhost:6379":                  "no scheme",
		"http://x:1":                      "unknown scheme",
		"unix+sentinel://x":               "unknown scheme",
		"redis+sentinel://s1:26379":       "names its master",
		"redis+cluster://n1:7000/1":       "has no path",
		"redis://:hunter2@host:notaport/": "xxxxx",
	} {
		_, err := parseURL(url)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", url, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error shows the password: %v", url, err)
		}
	}
}

func TestRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"redis://:pw@h:1/0":               "redis://:xxxxx@h:1/0",
		"redis://user:pw@h:1":             "redis://user:xxxxx@h:1",
		"redis://h:1/0":                   "redis://h:1/0",
		"redis+sentinel://:p@a:1,b:2/m":   "redis+sentinel://:xxxxx@a:1,b:2/m",
		"unix://:pw@/run/redis.sock?db=1": "unix://:xxxxx@/run/redis.sock?db=1",
	} {
		if got := Redacted(in); got != want {
			t.Errorf("Redacted(%q) = %q, want %q", in, got, want)
		}
	}
}
