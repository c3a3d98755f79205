package config

import (
	"reflect"
	"testing"
	"time"
)

func init() {
	areaValueTests = append(areaValueTests, []valueTest{
		{"RESYNC_TWS_URL", "", "", ""},
		{"RESYNC_TWS_URL", "https://engine.example.com:31116", "https://engine.example.com:31116", ""},
		{"RESYNC_TWS_URL", "http://127.0.0.1:9999", "http://127.0.0.1:9999", ""},
		{"RESYNC_TWS_URL", "engine:31116", "", "must be https://host:port"},
		{"RESYNC_TWS_URL", "https://user:pw@engine:31116", "", "must not contain credentials"},
		{"RESYNC_TWS_USER", "twsuser", "twsuser", ""},
		{"RESYNC_TWS_PASSWORD", "pw", "pw", ""},
		{"RESYNC_TWS_CA_FILE", "/etc/resync/ca.pem", "/etc/resync/ca.pem", ""},
		{"RESYNC_TWS_CA_FILE", "ca.pem", "", "must be an absolute path"},
		{"RESYNC_TWS_INSECURE_SKIP_VERIFY", "true", "true", ""},
		{"RESYNC_TWS_INSECURE_SKIP_VERIFY", "maybe", "", "must be true or false"},
		{"RESYNC_TWS_CONNECT_TIMEOUT", "2", "2s", ""},
		{"RESYNC_TWS_REQUEST_TIMEOUT", "0", "", "must be > 0"},
		{"RESYNC_TWS_RETRIES", "0", "0", ""},
		{"RESYNC_TWS_RETRIES", "11", "", "must be"},
		{"RESYNC_TWS_STALE_MAX", "10m", "600s", ""},
		{"RESYNC_EXECUTOR_SIZE", "0", "", "must be"},
		{"RESYNC_EXECUTOR_SIZE", "8", "8", ""},
		{"RESYNC_CACHE_MAX_ITEMS", "10", "10", ""},
		{"RESYNC_CACHE_MAX_ITEMS", "0", "", "must be"},
		{"RESYNC_CACHE_MAX_MB", "1", "1", ""},
		{"RESYNC_CACHE_TTL_JOB_STATUS", "5", "5s", ""},
		{"RESYNC_CACHE_TTL_JOB_LOG", "1m", "60s", ""},
		{"RESYNC_CACHE_TTL_MODEL", "1h", "3600s", ""},
		{"RESYNC_CACHE_TTL_GRAPH", "x", "", "must be a duration"},
		{"RESYNC_CACHE_TTL_DEFAULT", "90s", "90s", ""},
	}...)
}

func TestTWSDefaults(t *testing.T) {
	want := TWSConfig{ConnectTimeout: 5 * time.Second, RequestTimeout: 30 * time.Second, Retries: 2,
		StaleMax: 10 * time.Minute, ExecutorSize: 4,
		Cache: CacheConfig{MaxItems: 1000, MaxMB: 100, TTLJobStatus: 10 * time.Second, TTLJobLog: 30 * time.Second,
			TTLModel: time.Hour, TTLGraph: 5 * time.Minute, TTLDefault: time.Minute}}
	if got := Default().TWS; !reflect.DeepEqual(got, want) {
		t.Errorf("TWS defaults %+v, want %+v", got, want)
	}
}
