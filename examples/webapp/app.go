package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Cookies of the application. The login cookie binds an authorization
// request's state to the browser that started it (only /callback sees it);
// the session cookie names the signed-in session.
const (
	loginCookie   = "webapp_login"
	sessionCookie = "webapp_session"
)

// config is what newApp needs.
type config struct {
	issuer   string // the realm's issuer, http(s)://.../realms/{realm}
	clientID string
	url      string // the application's own base URL, without a trailing slash
	log      *slog.Logger
}

// app is the relying party: its OIDC client and its sessions.
type app struct {
	cfg        config
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string // the end_session_endpoint; "" when the realm has none
	secure     bool   // cookies only over https
	store      *store
	csp        string
}

// newApp discovers the realm's OpenID configuration (the issuer must be
// exactly cfg.issuer) and builds the application.
func newApp(ctx context.Context, cfg config) (*app, error) {
	provider, err := oidc.NewProvider(ctx, cfg.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", cfg.issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", cfg.issuer, err)
	}
	issuerOrigin := origin(cfg.issuer)
	return &app{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:    cfg.clientID, // a public client: PKCE instead of a secret
			Endpoint:    provider.Endpoint(),
			RedirectURL: cfg.url + "/callback",
			Scopes:      []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier:   provider.Verifier(&oidc.Config{ClientID: cfg.clientID}),
		endSession: meta.EndSession,
		secure:     strings.HasPrefix(cfg.url, "https://"),
		store:      newStore(),
		// The sign-out form ends at OpenGate (a redirect after the form),
		// so form-action names its origin too.
		csp: "default-src 'none'; form-action 'self' " + issuerOrigin + "; frame-ancestors 'none'; base-uri 'none'",
	}, nil
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// routes is the application's whole HTTP API.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("POST /logout", a.logout)
	return a.headers(mux)
}

// headers sets the security headers of every answer: no caching (pages
// show personal data), no referrer (the callback's URL holds a code), no
// framing, no script.
func (a *app) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", a.csp)
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// current returns the browser's session and its cookie value, or nil.
func (a *app) current(r *http.Request) (*session, string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, ""
	}
	return a.store.session(c.Value), c.Value
}

// home shows the signed-in user's ID-token claims and a sign-out button,
// or a sign-in link.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	s, _ := a.current(r)
	if s == nil {
		render(w, http.StatusOK, homePage{})
		return
	}
	render(w, http.StatusOK, homePage{SignedIn: true, Name: s.name, Claims: s.claims, CSRF: s.csrf})
}

// login starts the authorization-code flow: a fresh state, nonce and PKCE
// verifier kept server-side under the state, the state also in a cookie
// of this browser.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	p := pendingLogin{state: random(), nonce: random(), verifier: oauth2.GenerateVerifier()}
	if err := a.store.begin(p); err != nil {
		a.cfg.log.Warn("sign-in refused", "err", err)
		render(w, http.StatusServiceUnavailable, errorPage{Message: "Too many sign-ins are in progress; try again in a minute."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: p.state, Path: "/callback", MaxAge: int(pendingLifetime.Seconds()),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, a.oauth.AuthCodeURL(p.state, oidc.Nonce(p.nonce), oauth2.S256ChallengeOption(p.verifier)), http.StatusFound)
}

// callback completes the flow. A response this browser did not start
// (state missing, unknown, used, expired, or not the browser's) or one
// from another issuer is refused with 400 before the code is used; an
// error from OpenGate (the user cancelled, the client is refused) is shown
// with 400; a code OpenGate no longer accepts asks to sign in again (400);
// OpenGate failing to answer, or answering with tokens that do not verify,
// is 502. On success the browser gets a new session (never one it
// brought) and goes to the home page.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/callback", MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	state := q.Get("state")
	c, err := r.Cookie(loginCookie)
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		render(w, http.StatusBadRequest, errorPage{Message: "This sign-in was not started in this browser, or has expired.", Retry: true})
		return
	}
	p, ok := a.store.take(state)
	if !ok {
		render(w, http.StatusBadRequest, errorPage{Message: "This sign-in has already been completed, or has expired.", Retry: true})
		return
	}
	if iss := q.Get("iss"); iss != "" && iss != a.cfg.issuer { // RFC 9207: a response of another issuer
		render(w, http.StatusBadRequest, errorPage{Message: "The sign-in response came from another issuer.", Retry: true})
		return
	}
	if e := q.Get("error"); e != "" {
		render(w, http.StatusBadRequest, errorPage{Message: "OpenGate did not sign you in: " + e + " " + q.Get("error_description"), Retry: true})
		return
	}
	code := q.Get("code")
	if code == "" {
		render(w, http.StatusBadRequest, errorPage{Message: "The sign-in response has no code.", Retry: true})
		return
	}
	tok, err := a.oauth.Exchange(r.Context(), code, oauth2.VerifierOption(p.verifier))
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.ErrorCode == "invalid_grant" {
		render(w, http.StatusBadRequest, errorPage{Message: "OpenGate did not accept the code of this sign-in (expired or already used).", Retry: true})
		return
	}
	if err != nil {
		a.fail(w, "code exchange", err)
		return
	}
	s, err := a.verify(r.Context(), tok, p.nonce)
	if err != nil {
		a.fail(w, "ID token", err)
		return
	}
	if _, old := a.current(r); old != "" {
		a.store.end(old)
	}
	id, err := a.store.start(s)
	if err != nil {
		a.cfg.log.Warn("sign-in refused", "err", err)
		render(w, http.StatusServiceUnavailable, errorPage{Message: "Too many sessions; try again later."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: int(sessionLifetime.Seconds()),
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	a.cfg.log.Info("signed in", "sub", s.subject)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// verify checks the token response's ID token (signature against the
// realm's JWKS, issuer, audience, expiry), its nonce and its at_hash, and
// returns the session it opens.
func (a *app) verify(ctx context.Context, tok *oauth2.Token, nonce string) (*session, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, errors.New("no id_token in the token response")
	}
	idToken, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return nil, errors.New("the nonce is not this sign-in's")
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := idToken.Claims(&all); err != nil {
		return nil, err
	}
	var names struct {
		Name     string `json:"name"`
		Username string `json:"preferred_username"`
	}
	_ = idToken.Claims(&names)
	s := &session{rawIDToken: raw, subject: idToken.Subject, name: names.Name, csrf: random()}
	if s.name == "" {
		s.name = names.Username
	}
	for name, value := range all {
		s.claims = append(s.claims, claim{Name: name, Value: claimText(value)})
	}
	sort.Slice(s.claims, func(i, j int) bool { return s.claims[i].Name < s.claims[j].Name })
	return s, nil
}

// claimText shows a string claim as itself and any other as its JSON.
func claimText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// logout ends the application's session (a POST with the session's CSRF
// token; 403 without it), then sends the browser to OpenGate's
// end_session_endpoint with the ID token as id_token_hint, which ends the
// OpenGate session and comes back to the home page. A browser without a
// session goes to the home page.
func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	s, id := a.current(r)
	if s == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
		render(w, http.StatusForbidden, errorPage{Message: "The sign-out form has expired; go back and try again."})
		return
	}
	a.store.end(id)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteLaxMode})
	a.cfg.log.Info("signed out", "sub", s.subject)
	if a.endSession == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	q := url.Values{"id_token_hint": {s.rawIDToken}, "post_logout_redirect_uri": {a.cfg.url + "/"}, "client_id": {a.cfg.clientID}}
	http.Redirect(w, r, a.endSession+"?"+q.Encode(), http.StatusSeeOther)
}

// fail logs a failure of OpenGate's answer (never the tokens) and shows
// 502.
func (a *app) fail(w http.ResponseWriter, step string, err error) {
	a.cfg.log.Error("sign-in failed", "step", step, "err", err)
	render(w, http.StatusBadGateway, errorPage{Message: "OpenGate's answer could not be used; try again later.", Retry: true})
}
