package main

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/resync/resync/internal/config"
	"github.com/resync/resync/internal/hwasim"
)

// embeddedSim is the HWA simulator a development master runs when no
// RESYNC_TWS_URL is set, so that `make run` shows a live plan.
type embeddedSim struct {
	l        *hwasim.Listener
	password string
}

// startEmbeddedSim starts it on a loopback port when cfg asks for it (nil otherwise).
func startEmbeddedSim(cfg config.Config, log *slog.Logger) (*embeddedSim, error) {
	if cfg.Mode != "development" || cfg.TWS.URL != "" {
		return nil, nil
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	e := &embeddedSim{password: hex.EncodeToString(b)}
	sim := hwasim.New(hwasim.Options{User: "resync", Password: e.password, Tick: 2 * time.Second})
	l, err := sim.Listen("127.0.0.1:0", "", "")
	if err != nil {
		return nil, err
	}
	e.l = l
	log.Warn("no RESYNC_TWS_URL in development mode: serving a SIMULATED HWA plan (resync hwa-sim)", "simulator", l.URL)
	return e, nil
}

// apply points a configuration without an engine at the simulator, and
// gives the worker environment that says so.
func (e *embeddedSim) apply(cfg config.Config) (config.Config, []string) {
	if e == nil || cfg.TWS.URL != "" || cfg.Mode != "development" {
		return cfg, nil
	}
	cfg.TWS.URL, cfg.TWS.User, cfg.TWS.Password = e.l.URL, "resync", e.password
	return cfg, []string{hwasim.EnvSimulated + "=1"}
}

func (e *embeddedSim) Close() {
	if e != nil {
		_ = e.l.Close()
	}
}
