// Package listen owns the listening sockets: taking them over from systemd
// (LISTEN_FDS), binding them when started by hand, and handing them from the
// master to worker processes.
//
// Why not LISTEN_FDS for the workers too: go-systemd's activation checks
// LISTEN_PID against getpid(), and os/exec fixes a child's environment before
// the child has a pid. So the master passes its sockets as fds 3, 4, … and
// describes them in RESYNC_LISTEN_FDS / RESYNC_LISTEN_FDNAMES.
//
// The master never calls (*os.File).Fd on a socket: Fd switches the shared
// open file description to blocking mode, under the feet of every worker
// accepting on it. Raw descriptors come from SyscallConn instead, and workers
// are started with syscall.ForkExec (see package spawn), which takes raw fds.
package listen
