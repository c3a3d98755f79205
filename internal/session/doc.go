// Package session owns resync's server-side sessions: kept in Redis, so
// that a session made through one worker or host works through every other,
// with a TTL renewed by each use (sliding expiry), and the admin login and
// logout routes that make and end them.
//
// A session id is 256 random bits (crypto/rand), carried in the cookie
// resync_session: HttpOnly, SameSite=Strict, and Secure when the request came
// over TLS or from a trusted proxy (RESYNC_TRUSTED_PROXIES) that says
// X-Forwarded-Proto: https. Redis holds session:<id> → user, and per user a
// set of their ids so that all of one user's sessions can be ended at once.
package session
