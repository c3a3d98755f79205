// Package httpapi owns resync's HTTP surface as a worker serves it: the routes
// and the middleware every request passes through (correlation id, request
// limits, timeout, panic recovery), the health and metrics endpoints. It knows
// nothing of processes or sockets: what only the master knows comes through
// the Master interface.
package httpapi
