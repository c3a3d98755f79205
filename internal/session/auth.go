package session

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/resync/resync/internal/clientip"
)

// CookieName is the session cookie.
const CookieName = "resync_session"

// Auth serves the admin login and logout and tells the guards who a
// request's session belongs to.
type Auth struct {
	Store        *Store
	User         string // RESYNC_ADMIN_USER; "" = no login
	PasswordHash string // RESYNC_ADMIN_PASSWORD_HASH (bcrypt)
	Clients      *clientip.Resolver
	Logger       *slog.Logger
}

// maxLoginBody bounds what a login reads.
const maxLoginBody = 4096

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Login is POST /api/v1/auth/login with {"username","password"} as JSON or
// as a form. Success: 200 and the session cookie; else 401.
func (a *Auth) Login(w http.ResponseWriter, r *http.Request) {
	if a.User == "" || a.PasswordHash == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "login is not configured (RESYNC_ADMIN_USER, RESYNC_ADMIN_PASSWORD_HASH)"})
		return
	}
	var c credentials
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "malformed form"})
			return
		}
		c = credentials{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password")}
	} else if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": `body must be JSON {"username":…,"password":…}`})
		return
	}
	// bcrypt runs whatever the user name, so that timing does not tell
	// whether the name was right.
	passOK := bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(c.Password)) == nil
	userOK := subtle.ConstantTimeCompare([]byte(c.Username), []byte(a.User)) == 1
	if !passOK || !userOK {
		if a.Logger != nil {
			a.Logger.Warn("admin login refused", "client", a.Clients.Of(r).Addr)
		}
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Invalid credentials"})
		return
	}
	id, err := a.Store.Create(r.Context(), a.User)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "sessions unavailable: " + err.Error()})
		return
	}
	http.SetCookie(w, a.cookie(r, id, 0))
	writeJSON(w, http.StatusOK, map[string]any{"user": a.User,
		"expires_in": int(a.Store.ttl / time.Second), "sliding": true})
}

// Logout is POST /api/v1/auth/logout: it ends the request's session on
// every worker and host at once; with ?all=true, every session of its user.
func (a *Auth) Logout(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(CookieName)
	if err == nil {
		user, ok, rerr := a.Store.Read(r.Context(), ck.Value)
		switch {
		case rerr != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "sessions unavailable: " + rerr.Error()})
			return
		case ok && r.URL.Query().Get("all") == "true":
			err = a.Store.DestroyAll(r.Context(), user)
		default:
			err = a.Store.Destroy(r.Context(), ck.Value)
		}
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "sessions unavailable: " + err.Error()})
			return
		}
	}
	http.SetCookie(w, a.cookie(r, "", -1))
	writeJSON(w, http.StatusOK, map[string]any{"detail": "logged out"})
}

// Session is httpapi's Options.Session: the user of the request's valid
// session. A Redis failure counts as no session (the bearer token still works).
func (a *Auth) Session(r *http.Request) (string, bool) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return "", false
	}
	user, ok, err := a.Store.Read(r.Context(), ck.Value)
	if err != nil || !ok {
		return "", false
	}
	return user, true
}

func (a *Auth) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.secure(r)}
}

// secure: served over TLS, or by a trusted proxy that received it over TLS.
func (a *Auth) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return r.Header.Get("X-Forwarded-Proto") == "https" && a.Clients.PeerTrusted(r)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
