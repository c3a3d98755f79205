// Package hwa is resync's client of the HCL Workload Automation (ex IBM TWS)
// REST API V2 (`/twsd/api/v2`). It owns the connection to the engine — Basic
// auth, TLS, timeouts, a pooled keep-alive transport, a circuit breaker and
// bounded retries — and the shapes it reads (types.go), which the simulator
// (internal/hwasim) serves too, so that both speak one schema.
//
// The API facts it follows are in /work/shared/HWA.md (read from HCL's own
// OpenAPI description), not the original Python client's: lists are the
// paginated envelope {count, results, next, previous} paged with limit and
// offset, filters are OQL (built here from typed filters, values quoted, see
// oql.go), and job logs are text/plain.
//
// Using it:
//
//	c, err := hwa.New(hwa.Config{URL: "https://engine:31116", User: "u", Password: p})
//	jobs, err := c.Jobs(ctx, hwa.JobFilter{Status: "ABEND"}, hwa.Page{Limit: 100})
//	all, err := c.AllJobs(ctx, hwa.JobFilter{Workstation: "CPU1"}) // follows the pages
//	log, err := c.JobLog(ctx, jobID, hwa.LogRange{})               // text
//
// Every error it returns is an *Error whose Kind says how the API should
// answer (see errors.go): Auth and Malformed → 502, Timeout → 504,
// Unavailable (breaker open, upstream 5xx, connection refused) → 503 with
// RetryAfter, NotFound → 404, BadRequest → 400. An Error never carries the
// credentials.
package hwa
