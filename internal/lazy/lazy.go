// Package lazy builds heavy parts of a worker on first use instead of at boot
// (the guide's LazyLoader), and counts them: every Value registers itself, so
// the metrics can say which parts are loaded and what loading them cost.
//
// A failed build is not remembered: the next Get tries again, so a CA file
// put right after a failure is picked up without a restart.
//
// A part built from data that ages (the dependency-graph index, built from
// the plan) is made with NewExpiring: its build says until when the value
// holds, and the first Get after that rebuilds it while the other callers
// keep getting the old value — a refresh never stalls them.
package lazy

import (
	"sort"
	"sync"
	"time"
)

// Value is a T built by its build function on the first Get.
type Value[T any] struct {
	name  string
	build func() (T, time.Time, error)

	// building serialises builds: concurrent first callers wait for one
	// build; a refresh only TryLocks it. It is not mu, so that the metrics
	// (stat) never wait for a slow build.
	building sync.Mutex

	mu      sync.Mutex
	done    bool
	v       T
	expires time.Time // zero: never
	took    time.Duration
	builds  uint64
}

// New returns a Value named name (shown in the metrics) and registers it.
func New[T any](name string, build func() (T, error)) *Value[T] {
	return NewExpiring(name, func() (T, time.Time, error) {
		v, err := build()
		return v, time.Time{}, err
	})
}

// NewExpiring returns a Value whose build also says until when its value
// holds (zero: for ever); the first Get after that rebuilds it.
func NewExpiring[T any](name string, build func() (T, time.Time, error)) *Value[T] {
	v := &Value[T]{name: name, build: build}
	register(v)
	return v
}

// current is the value when it is built and not expired.
func (v *Value[T]) current(now time.Time) (x T, built, valid bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.v, v.done, v.done && (v.expires.IsZero() || now.Before(v.expires))
}

// Get builds the value on first use and returns it. Past its expiry, one
// caller rebuilds it and the others get the old value meanwhile; a failed
// rebuild keeps the old value (and the next Get tries again).
func (v *Value[T]) Get() (T, error) {
	x, built, valid := v.current(time.Now())
	if valid {
		return x, nil
	}
	if built {
		if !v.building.TryLock() {
			return x, nil // another caller is rebuilding it
		}
	} else {
		v.building.Lock()
	}
	defer v.building.Unlock()
	if x, built, valid = v.current(time.Now()); valid {
		return x, nil // built while we waited
	}
	start := time.Now()
	nx, exp, err := v.build()
	if err != nil {
		if built {
			return x, nil
		}
		var zero T
		return zero, err
	}
	v.mu.Lock()
	v.v, v.done, v.expires, v.took = nx, true, exp, time.Since(start)
	v.builds++
	v.mu.Unlock()
	return nx, nil
}

// Loaded reports whether the value has been built.
func (v *Value[T]) Loaded() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.done
}

// Stat is this value's counters.
func (v *Value[T]) Stat() Stat {
	v.mu.Lock()
	defer v.mu.Unlock()
	return Stat{Name: v.name, Loaded: v.done, LoadSeconds: v.took.Seconds(), Builds: v.builds}
}

// Stat is one lazy part as the metrics show it.
type Stat struct {
	Name        string  `json:"name"`
	Loaded      bool    `json:"loaded"`
	LoadSeconds float64 `json:"load_seconds"` // the latest build's
	Builds      uint64  `json:"builds"`       // 1 once loaded, more when it expires and is rebuilt
}

type statter interface{ Stat() Stat }

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
// clients) are summed: loaded when any is, their load times and builds added.
func Stats() []Stat {
	regMu.Lock()
	all := append([]statter(nil), registry...)
	regMu.Unlock()
	byName := map[string]Stat{}
	for _, s := range all {
		st := s.Stat()
		cur := byName[st.Name]
		cur.Name = st.Name
		cur.Loaded = cur.Loaded || st.Loaded
		cur.LoadSeconds += st.LoadSeconds
		cur.Builds += st.Builds
		byName[st.Name] = cur
	}
	out := make([]Stat, 0, len(byName))
	for _, s := range byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
