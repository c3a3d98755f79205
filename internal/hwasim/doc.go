// Package hwasim is resync's HWA simulator: an HTTP server speaking the HWA
// REST API V2 endpoints resync reads (engine/info, plan/workstation,
// plan/job, its predecessors/successors and job logs, plan/jobstream,
// plan/resource) from a plan generated from a fixed seed, so that a run can
// be repeated. It marshals internal/hwa's types, the client's one schema.
//
// The plan: tens of workstations, hundreds of job streams, thousands of jobs
// with dependencies (within a stream, and some across streams). On every
// tick jobs move through their states — HOLD until their time and their
// predecessors, READY, EXEC, then SUCC or ABEND with a return code and a text
// log, sometimes CANCL or a rerun — and workstations link and unlink. When
// nearly every job is done, the next plan day starts.
//
// The API: Basic auth (401 without it), the paginated envelope with count,
// next and previous (limit/offset), an OQL subset (=, LIKE with @ as the
// wildcard, AND, ORDER BY field [ASC|DESC], dotted fields such as
// jobruns.compositeStatus.status; anything else is 400
// OQL_FILTER_SYNTAX_ERROR), 404 for unknown ids, job logs as text/plain.
//
// The control endpoint, for tests and demos (no auth; under /_sim/):
//
//	GET    /_sim/counts                      requests served per path, {"/twsd/api/v2/plan/job": 3, …}
//	DELETE /_sim/counts                      reset them
//	GET    /_sim/knobs, PUT /_sim/knobs      {"latency_ms":50,"error_rate":0.1,"rate_429":0,"outage":false,"hang":false,"malformed":false}
//	POST   /_sim/tick?n=N                    advance the plan N ticks now
//	POST   /_sim/jobs/{id}/abend?rc=12       make a job ABEND now (a new run with that return code)
//	POST   /_sim/workstations/{name}/unlink  unlink a workstation (LINKED leaves its activeStates)
//	POST   /_sim/workstations/{name}/link    link it again
//	GET    /_sim/plan                        ids for tests: {"jobs":[…],"workstations":[…],"jobstreams":[…]}
//
// The same operations are methods of *Server for in-process use (SetKnobs,
// Counts, Tick, Abend, Unlink, Link). Knobs: latency delays every API answer;
// error_rate answers that share with 500; rate_429 with 429 and Retry-After: 1;
// outage answers every request 503; hang holds requests until the client
// gives up (timeouts); malformed sends truncated JSON.
package hwasim
