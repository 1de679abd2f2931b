package authui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// logout serves GET and POST {realm}/protocol/openid-connect/logout:
// OpenID Connect RP-Initiated Logout 1.0. A POST carrying a refresh token
// or client credentials is Keycloak's logout of a session by its client
// and goes to the back-channel handler (authhttp's), unchanged.
//
//   - id_token_hint, when valid (an ID token of the realm, expired or
//     not), names the session to end: it ends at once (auth.logout), and
//     the browser's cookie with it when it is that session's.
//   - Without a valid hint, a browser signed in is asked to confirm (a
//     form with the session's CSRF token); confirming ends its session.
//   - post_logout_redirect_uri must be one of the client's registered
//     post-logout redirect URIs (the client from client_id or the hint's
//     azp; both, when given, must agree): anything else is an error page,
//     never a redirect. After the logout the browser goes there with
//     state; without one, a "signed out" page is shown.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && h.backchannel != nil && h.isBackchannel(w, r) {
		h.backchannel(w, r)
		return
	}
	rr, ok := h.realmParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		form, err := h.form(w, r)
		if err != nil {
			h.fail(w, r, rr.Name, "We can't sign you out", err)
			return
		}
		params = form
	}
	const title = "We can't sign you out"
	var hint *auth.IDTokenHint
	if raw := params.Get("id_token_hint"); raw != "" {
		ht, err := h.svc.CheckIDTokenHint(ctx, rr.Name, raw)
		if err != nil {
			h.fail(w, r, rr.Name, title, err)
			return
		}
		hint = &ht
	}
	clientID := params.Get("client_id")
	if hint != nil {
		if clientID != "" && clientID != hint.ClientID && !slices.Contains(hint.Audience, clientID) {
			h.fail(w, r, rr.Name, title, iam.Invalidf("client_id", "client_id does not match the id_token_hint."))
			return
		}
		if clientID == "" {
			clientID = hint.ClientID
		}
	}
	target := params.Get("post_logout_redirect_uri")
	if target != "" {
		if err := h.svc.CheckPostLogoutRedirect(ctx, rr.Name, clientID, target); err != nil {
			h.fail(w, r, rr.Name, title, err)
			return
		}
	}
	state := params.Get("state")

	b, err := h.svc.BrowserSession(ctx, rr.Name, cookieValue(r, sessionCookie))
	signedIn := err == nil
	if err != nil && !errors.Is(err, iam.ErrNotFound) {
		h.fail(w, r, rr.Name, title, err)
		return
	}
	switch {
	case hint != nil:
		if hint.SessionID != "" {
			if err := h.svc.EndSession(ctx, rr.Name, hint.SessionID, hint.Subject, clientID); err != nil {
				h.fail(w, r, rr.Name, title, err)
				return
			}
		}
		if signedIn && (b.SessionID == hint.SessionID || (hint.SessionID == "" && b.UserID == hint.Subject)) {
			if err := h.svc.EndBrowserSession(ctx, rr.Name, b, clientID); err != nil {
				h.fail(w, r, rr.Name, title, err)
				return
			}
			h.clearCookie(w, rr.Name, sessionCookie)
		}
	case signedIn && !(r.Method == http.MethodPost && params.Get("confirm") == "yes"):
		h.confirmLogout(w, r, rr, b, clientID, target, state)
		return
	case signedIn:
		if !sameToken(params.Get("csrf"), b.CSRF) {
			h.fail(w, r, rr.Name, "This form has expired", errCSRF)
			return
		}
		if err := h.svc.EndBrowserSession(ctx, rr.Name, b, clientID); err != nil {
			h.fail(w, r, rr.Name, title, err)
			return
		}
		h.clearCookie(w, rr.Name, sessionCookie)
	default:
		// Not signed in: nothing to end.
		h.clearCookie(w, rr.Name, sessionCookie)
	}
	if target != "" {
		u, err := url.Parse(target)
		if err != nil {
			h.fail(w, r, rr.Name, title, iam.Invalidf("post_logout_redirect_uri", "Invalid post_logout_redirect_uri."))
			return
		}
		if state != "" {
			q := u.Query()
			q.Set("state", state)
			u.RawQuery = q.Encode()
		}
		redirect(w, r, u.String(), nil)
		return
	}
	p := h.newPage(rr, "You are signed out")
	p.Message = "You have been signed out."
	h.render(w, r, http.StatusOK, pageMessage, p)
}

// confirmLogout asks a signed-in browser whether to sign out.
func (h *Handler) confirmLogout(w http.ResponseWriter, r *http.Request, rr realms.Realm, b auth.BrowserSession, clientID, target, state string) {
	p := h.newPage(rr, "Sign out")
	p.CSRF = b.CSRF
	p.Action = h.urls(rr.Name).logout()
	p.Values = map[string]string{"client_id": clientID, "post_logout_redirect_uri": target, "state": state}
	p.formTargets = targets(target)
	if u, err := h.accounts.Get(r.Context(), rr.Name, b.UserID); err == nil {
		p.Username = u.Username
	}
	h.render(w, r, http.StatusOK, pageLogoutConfirm, p)
}

// isBackchannel reports whether a logout POST is a client's rather than a
// browser's: it is not a form (only clients send other bodies), or it
// authenticates the client (HTTP basic authentication, client_secret), or
// carries a refresh_token. The form is parsed (bounded) and kept for the
// handler.
func (h *Handler) isBackchannel(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "" ||
		!strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxForm)
	if err := r.ParseForm(); err != nil {
		return true // the back-channel handler answers a malformed request
	}
	return r.PostForm.Get("refresh_token") != "" || r.PostForm.Get("client_secret") != ""
}
