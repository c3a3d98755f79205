package tws

import (
	"encoding/json"
	"testing"
)

func TestAppendMetaIsJSONMarshal(t *testing.T) {
	for _, m := range []meta{
		{},
		{Cached: true, AgeSeconds: 12.345, FetchedAt: "2026-12-02T13:00:00.123456789Z", Freshness: "cached", Source: "memory"},
		{AgeSeconds: 0.001, FetchedAt: "2026-12-02T13:00:00Z", Freshness: "live", Source: "upstream", Simulated: true},
		{Cached: true, AgeSeconds: 700, Source: "stale", Stale: true, Error: `engine "down" <503>` + "\n\u2028"},
	} {
		want, _ := json.Marshal(m)
		if got := appendMeta(nil, m); string(got) != string(want) {
			t.Errorf("appendMeta\n got %s\nwant %s", got, want)
		}
	}
}
