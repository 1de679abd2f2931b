package authui

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// The realm's cookies. Both are HttpOnly, SameSite=Lax (sent on the
// top-level navigations that bring a browser back from an application,
// never on cross-site form posts or subrequests), Secure when the issuer
// is https, and scoped to the realm's path (/realms/{realm}/), so no other
// realm, and nothing outside OpenGate's paths, sees them.
const (
	// sessionCookie holds the SSO session: 256 random bits whose hash
	// names the session's record (auth.BrowserSession). It lives until
	// the browser closes; the session's own lifespans bound it.
	sessionCookie = "OPENGATE_SESSION"
	// loginCookie binds login flows to the browser that started them: a
	// random value whose hash each flow records.
	loginCookie = "OPENGATE_LOGIN"
)

// cookieValue returns the value of cookie name of the request ("" if
// absent or repeated in a way the browser would not send).
func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func (h *Handler) setCookie(w http.ResponseWriter, realm iam.Realm, name, value string) {
	u := h.urls(realm)
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: u.cookiePath(), HttpOnly: true,
		Secure: u.secure(), SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearCookie(w http.ResponseWriter, realm iam.Realm, name string) {
	u := h.urls(realm)
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: u.cookiePath(), MaxAge: -1, HttpOnly: true,
		Secure: u.secure(), SameSite: http.SameSiteLaxMode})
}

// browserID returns the browser's login cookie, setting a new one when it
// has none (or a malformed one).
func (h *Handler) browserID(w http.ResponseWriter, r *http.Request, realm iam.Realm) string {
	if v := cookieValue(r, loginCookie); len(v) == 43 {
		if _, err := base64.RawURLEncoding.DecodeString(v); err == nil {
			return v
		}
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	v := base64.RawURLEncoding.EncodeToString(b[:])
	h.setCookie(w, realm, loginCookie, v)
	return v
}
