package executor

import (
	"errors"
	"testing"
)

func TestFullPoolRefuses(t *testing.T) {
	p := New(2)
	hold, started := make(chan struct{}), make(chan struct{}, 2)
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- p.Run(func() error { started <- struct{}{}; <-hold; return nil }) }()
	}
	<-started
	<-started
	if err := p.Run(func() error { t.Error("ran in a full pool"); return nil }); !errors.Is(err, ErrBusy) {
		t.Fatalf("full pool: %v", err)
	}
	close(hold)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Run(func() error { return nil }); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if s := p.Stats(); s.Ran != 3 || s.Refused != 1 || s.Busy != 0 || s.Size != 2 {
		t.Fatalf("stats %+v", s)
	}
}
