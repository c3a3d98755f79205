// Package lazy builds heavy parts of a worker on first use instead of at boot
// (the guide's LazyLoader), and counts them: every Value registers itself, so
// the metrics can say which parts are loaded and what loading them cost.
//
// A failed build is not remembered: the next Get tries again, so a CA file
// put right after a failure is picked up without a restart.
package lazy

import (
	"sort"
	"sync"
	"time"
)

// Value is a T built by its build function on the first Get.
type Value[T any] struct {
	name  string
	build func() (T, error)

	mu     sync.Mutex
	done   bool
	v      T
	took   time.Duration
	loaded time.Time
}

// New returns a Value named name (shown in the metrics) and registers it.
func New[T any](name string, build func() (T, error)) *Value[T] {
	v := &Value[T]{name: name, build: build}
	register(v)
	return v
}

// Get builds the value on first use and returns it.
func (v *Value[T]) Get() (T, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.done {
		return v.v, nil
	}
	start := time.Now()
	x, err := v.build()
	if err != nil {
		var zero T
		return zero, err
	}
	v.v, v.done, v.took, v.loaded = x, true, time.Since(start), time.Now()
	return x, nil
}

// Loaded reports whether the value has been built.
func (v *Value[T]) Loaded() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.done
}

func (v *Value[T]) stat() Stat {
	v.mu.Lock()
	defer v.mu.Unlock()
	return Stat{Name: v.name, Loaded: v.done, LoadSeconds: v.took.Seconds()}
}

// Stat is one lazy part as the metrics show it.
type Stat struct {
	Name        string  `json:"name"`
	Loaded      bool    `json:"loaded"`
	LoadSeconds float64 `json:"load_seconds"`
}

type statter interface{ stat() Stat }

var (
	regMu    sync.Mutex
	registry []statter
)

func register(s statter) {
	regMu.Lock()
	registry = append(registry, s)
	regMu.Unlock()
}

// Stats lists the registered parts, by name. Several values of one name (two
// clients) are summed: loaded when any is, their load times added.
func Stats() []Stat {
	regMu.Lock()
	all := append([]statter(nil), registry...)
	regMu.Unlock()
	byName := map[string]Stat{}
	for _, s := range all {
		st := s.stat()
		cur := byName[st.Name]
		cur.Name = st.Name
		cur.Loaded = cur.Loaded || st.Loaded
		cur.LoadSeconds += st.LoadSeconds
		byName[st.Name] = cur
	}
	out := make([]Stat, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
