// Package httpapi owns resync's HTTP surface as a worker serves it: the routes
// and the middleware every request passes through (correlation id, request
// limits, timeout, panic recovery). It knows nothing of processes or sockets;
// what it reports on comes in through small interfaces.
package httpapi
