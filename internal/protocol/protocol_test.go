package protocol

import (
	"reflect"
	"testing"

	"github.com/resync/resync/internal/sdnotify"
)

// Every message a worker builds parses as sd_notify and reads back as what it says.
func TestMessagesReadBack(t *testing.T) {
	c := sampleCounters()
	gc := `{"pid":1}`
	for _, tc := range []struct {
		msg  string
		want Note
	}{
		{Ready(), Note{Ready: true}},
		{Heartbeat(c), Note{Beat: true, Counters: &c}},
		{Recycle(RecycleMaxRequests, c), Note{Recycle: RecycleMaxRequests, Counters: &c}},
		{Stopping(), Note{Stopping: true}},
		{Final(c), Note{Counters: &c}},
		{GCAnswer(gc), Note{GC: &gc}},
	} {
		m, err := sdnotify.Parse([]byte(tc.msg))
		if err != nil {
			t.Fatalf("%q: %v", tc.msg, err)
		}
		got, err := Read(m)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Read(%q) = %+v, %v; want %+v", tc.msg, got, err, tc.want)
		}
	}
}

func TestReadBadCountersKeepsTheRest(t *testing.T) {
	n, err := Read(sdnotify.Message{"WATCHDOG": "1", KeyMetrics: "garbage"})
	if err == nil || !n.Beat || n.Counters != nil {
		t.Fatalf("Read = %+v, %v; want the beat, no counters and an error", n, err)
	}
}
