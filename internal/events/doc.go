// Package events owns what the monitoring poller knows about the plan and
// what it tells operators: the plan snapshot (workstations, jobs, job streams
// in a shape of our own, mapped from HWA's by the poller), the original
// Resync's event types and their JSON, the diff of two snapshots into events,
// and the original's health rule.
//
// Everything here is a pure function of its inputs — times come from the
// snapshots, never the clock — so a poller that takes over can recompute the
// events of an interrupted poll and get exactly the same ones
// (internal/poller relies on it).
package events
