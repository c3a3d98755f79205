package master

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/control"
	"github.com/resync/resync/internal/sdnotify"
)

// reload is a reload in progress: what to go back to, and who waits.
type reload struct {
	started    time.Time
	prevCfg    config.Config
	prevGen    int
	prevTarget int
	waiters    []chan control.Response
}

// startReload re-reads the configuration and starts a generation with it.
// reply, if not nil, gets the outcome (`resync reload` waits on it).
func (m *Master) startReload(now time.Time, reply chan control.Response) {
	if m.stopping {
		answer(reply, errors.New("shutting down"))
		return
	}
	m.notify(sdnotify.Reloading())
	m.log.Info("reload started")
	cfg, err := m.opt.Load()
	if err != nil {
		// One record per bad setting: each names its file:line and key.
		for _, line := range strings.Split(err.Error(), "\n") {
			m.log.Error("reload failed: invalid configuration", "error", line)
		}
		m.lastReload = "failed at " + now.Format(time.TimeOnly) + ": " + firstLine(err)
		if m.reload == nil {
			m.notify("READY=1\n")
		}
		answer(reply, err)
		return
	}
	if cfg.Bind != m.cfg.Bind {
		m.log.Warn("RESYNC_BIND changed; sockets are kept until restart", "old", m.cfg.Bind, "new", cfg.Bind)
	}
	if m.reload == nil {
		m.reload = &reload{started: now, prevCfg: m.cfg, prevGen: m.gen, prevTarget: m.target}
	}
	if reply != nil {
		m.reload.waiters = append(m.reload.waiters, reply)
	}
	m.lastGen++
	m.gen, m.cfg, m.target = m.lastGen, cfg, cfg.Workers
	m.reconfigure(cfg)
	m.bootFailures, m.backoff, m.nextSpawn = 0, 0, time.Time{}
	m.log.Info("starting new generation", "generation", m.gen, "workers", m.target)
}

// finishReload completes a reload once the new generation is at its target and
// every older worker has closed its listeners (STOPPING=1) or is being killed:
// a client that connects after `resync reload` returns meets the new
// configuration, never an old worker that has not yet seen its SIGTERM.
func (m *Master) finishReload(now time.Time) {
	if m.reload == nil {
		return
	}
	_, readyActive := m.counts()
	if readyActive < m.target {
		return
	}
	for _, w := range m.workers {
		if w.gen != m.gen && !w.closed && !w.aborted && !w.killed {
			return
		}
	}
	took := now.Sub(m.reload.started).Round(time.Millisecond)
	m.log.Info("reload done", "generation", m.gen, "took", took)
	m.lastReload = "ok at " + now.Format(time.TimeOnly) + " (generation " + strconv.Itoa(m.gen) + ")"
	m.notify("READY=1\n")
	for _, c := range m.reload.waiters {
		answer(c, nil)
	}
	m.reload = nil
}

// abandonReload goes back to the previous generation, which is still serving.
func (m *Master) abandonReload(now time.Time, why string) {
	r := m.reload
	m.log.Error("reload failed", "error", why, "generation", m.gen)
	m.lastReload = "failed at " + now.Format(time.TimeOnly) + ": " + why
	m.gen, m.cfg, m.target = r.prevGen, r.prevCfg, r.prevTarget
	m.reconfigure(r.prevCfg)
	m.bootFailures, m.backoff, m.nextSpawn = 0, 0, time.Time{}
	m.notify("READY=1\n")
	for _, c := range r.waiters {
		answer(c, errors.New(why))
	}
	m.reload = nil
}

func (m *Master) failReload(why string) {
	if m.reload == nil {
		return
	}
	for _, c := range m.reload.waiters {
		answer(c, errors.New(why))
	}
	m.reload = nil
}

func answer(c chan control.Response, err error) {
	if c == nil {
		return
	}
	if err != nil {
		c <- control.Response{Error: err.Error()}
		return
	}
	c <- control.Response{OK: true}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func (m *Master) reconfigure(cfg config.Config) {
	if m.opt.Reconfigure != nil {
		m.opt.Reconfigure(cfg)
	}
}
