// Package doctor owns `resync doctor`: the guide's deploy checklist run
// against one host — production mode, worker count for the cores, Redis, a
// memory limit on the service's cgroup, log rotation,
// health endpoints, metrics — and the guide's load profile that fits the
// traffic the running master has served.
//
// The checks are pure functions of a Facts value that the command gathers
// (configuration, the master's status over its control socket, the cgroup
// limit, the listen address), so each is tested without a host to match.
package doctor
