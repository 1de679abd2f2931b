package authui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// ReauthWindow is how recent the user's last authentication must be for
// the account pages' sensitive changes — the email address (password
// resets go there), authenticator apps and recovery codes. Older sessions
// are asked to sign in again first, so that a browser left signed in
// cannot be used to take the account over.
const ReauthWindow = 5 * time.Minute

// account is a request of the account pages by a signed-in browser.
type account struct {
	realm realms.Realm
	b     auth.BrowserSession
	user  users.User
	form  url.Values // a POST's form, its CSRF token checked
}

// ctx returns the request's context with the user as principal, in the
// SSO session.
func (a *account) ctx(h *Handler, r *http.Request) context.Context {
	return h.asUser(r.Context(), a.realm.Name, a.user.ID, a.b.SessionID)
}

// signedIn returns the account of the browser's SSO session. A browser
// without one is sent to sign in (a flow returning to this page's GET
// URL); a POST must carry the session's CSRF token. It renders the answer
// and returns nil when the request goes no further.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, pageName string) *account {
	rr, ok := h.realmParam(w, r)
	if !ok {
		return nil
	}
	ctx := r.Context()
	b, err := h.svc.BrowserSession(ctx, rr.Name, cookieValue(r, sessionCookie))
	if errors.Is(err, iam.ErrNotFound) {
		h.startFlow(w, r, rr, auth.Authorization{}, nil, h.urls(rr.Name).account(pageName))
		return nil
	}
	if err != nil {
		h.fail(w, r, rr.Name, "Your account", err)
		return nil
	}
	u, err := h.accounts.Get(ctx, rr.Name, b.UserID)
	if err != nil {
		h.fail(w, r, rr.Name, "Your account", err)
		return nil
	}
	a := &account{realm: rr, b: b, user: u}
	if r.Method == http.MethodPost {
		if a.form, err = h.form(w, r); err != nil {
			h.fail(w, r, rr.Name, "Your account", err)
			return nil
		}
		if !sameToken(a.form.Get("csrf"), b.CSRF) {
			h.fail(w, r, rr.Name, "This form has expired", errCSRF)
			return nil
		}
	}
	return a
}

// recent reports whether the user authenticated within ReauthWindow; if
// not, it sends the browser to sign in again, returning to pageName.
func (h *Handler) recent(w http.ResponseWriter, r *http.Request, a *account, pageName string) bool {
	if h.now().Sub(a.b.AuthTime) <= ReauthWindow {
		return true
	}
	h.startFlow(w, r, a.realm, auth.Authorization{LoginHint: a.user.Username}, nil, h.urls(a.realm.Name).account(pageName))
	return false
}

// accountPage returns a page of the account pages.
func (h *Handler) accountPage(a *account, title, nav, action string) *page {
	p := h.newPage(a.realm, title)
	u := h.urls(a.realm.Name)
	p.Nav, p.Username, p.CSRF = nav, a.user.Username, a.b.CSRF
	p.Action = u.account(action)
	p.Links.Profile, p.Links.Password = u.account("profile"), u.account("password")
	p.Links.Security, p.Links.Devices = u.account("security"), u.account("devices")
	p.Links.Logout = u.logout()
	return p
}

// notices are the messages a page shows after a change redirected to it
// (?done=key): fixed texts, never anything from the URL.
var notices = map[string]string{
	"profile":    "Your profile has been saved.",
	"email":      "Your profile has been saved. We sent a link to your new email address to verify it.",
	"verify":     "We sent a verification link to your email address.",
	"password":   "Your password has been changed. Every other session of your account has been signed out.",
	"totp":       "Your authenticator app is set up.",
	"removed":    "The authenticator app has been removed.",
	"signed-out": "That session has been signed out.",
}

func (p *page) notice(r *http.Request) {
	p.Notice = notices[r.URL.Query().Get("done")]
}

// done redirects (303) to pageName with the notice key.
func (h *Handler) done(w http.ResponseWriter, r *http.Request, realm iam.Realm, pageName, key string) {
	redirect(w, r, h.urls(realm).account(pageName)+"?done="+key, nil)
}

// profilePage serves GET {realm}/account/profile.
func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "profile")
	if a == nil {
		return
	}
	p := h.accountPage(a, "Personal info", "profile", "profile")
	profileValues(p, a.user)
	p.notice(r)
	h.render(w, r, http.StatusOK, pageProfile, p)
}

// profile serves POST {realm}/account/profile: action=save updates the
// name and email (a changed email becomes unverified and a verification
// link is sent to it; changing it needs a recent sign-in),
// action=verify-email sends a verification link.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "profile")
	if a == nil {
		return
	}
	ctx := a.ctx(h, r)
	realm := a.realm.Name
	if a.form.Get("action") == "verify-email" {
		if err := h.accounts.SendVerifyEmail(ctx, realm, a.user.ID, 0); err != nil {
			h.fail(w, r, realm, "Personal info", err)
			return
		}
		h.done(w, r, realm, "profile", "verify")
		return
	}
	patch, vals := profilePatch(a.form)
	emailChanged := !strings.EqualFold(*patch.Email, a.user.Email)
	if emailChanged && !h.recent(w, r, a, "profile") {
		return
	}
	u, err := h.accounts.UpdateAccount(ctx, realm, a.user.ID, patch)
	if err != nil {
		if !userError(err) {
			h.fail(w, r, realm, "Personal info", err)
			return
		}
		p := h.accountPage(a, "Personal info", "profile", "profile")
		p.Values = vals
		p.Values["username"] = a.user.Username
		p.Values["emailVerified"] = "true"
		p.fieldError(err, "email", "firstName", "lastName")
		h.render(w, r, statusOf(err), pageProfile, p)
		return
	}
	if emailChanged && u.Email != "" {
		if err := h.accounts.SendVerifyEmail(ctx, realm, u.ID, 0); err != nil {
			h.fail(w, r, realm, "Personal info", err)
			return
		}
		h.done(w, r, realm, "profile", "email")
		return
	}
	h.done(w, r, realm, "profile", "profile")
}

// passwordPage serves GET {realm}/account/password.
func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "password")
	if a == nil {
		return
	}
	p := h.accountPage(a, "Password", "password", "password")
	p.notice(r)
	h.render(w, r, http.StatusOK, pagePassword, p)
}

// password serves POST {realm}/account/password: the current password and
// the new one twice. Every other session of the user ends; this one stays.
func (h *Handler) password(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "password")
	if a == nil {
		return
	}
	pw := a.form.Get("password")
	err := checkConfirmation(pw, a.form.Get("confirmation"))
	if err == nil && a.form.Get("currentPassword") == "" {
		err = iam.Invalidf("currentPassword", "Enter your current password.")
	}
	if err == nil {
		err = h.accounts.ChangePassword(a.ctx(h, r), a.realm.Name, a.user.ID, a.form.Get("currentPassword"), pw)
	}
	if err != nil {
		if !userError(err) {
			h.fail(w, r, a.realm.Name, "Password", err)
			return
		}
		p := h.accountPage(a, "Password", "password", "password")
		if iam.ErrorField(err) == "currentPassword" {
			err = iam.Invalidf("currentPassword", "Your current password is not right.")
		}
		p.fieldError(err, "currentPassword", "password", "confirmation")
		h.render(w, r, statusOf(err), pagePassword, p)
		return
	}
	h.done(w, r, a.realm.Name, "password", "password")
}

// sessionView is a session on the devices page.
type sessionView struct {
	ID, Browser, IPAddress, Started, LastAccess, Clients string
	Current                                              bool
}

// devicesPage serves GET {realm}/account/devices: the user's active
// sessions, each with a sign-out button but the current one.
func (h *Handler) devicesPage(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "devices")
	if a == nil {
		return
	}
	p := h.accountPage(a, "Sessions", "devices", "devices")
	p.notice(r)
	if h.sessions == nil {
		p.Error = "The list of sessions is not available on this server."
		h.render(w, r, http.StatusOK, pageDevices, p)
		return
	}
	list, err := h.sessions.ListByUser(a.ctx(h, r), a.realm.Name, a.user.ID)
	if err != nil {
		h.fail(w, r, a.realm.Name, "Sessions", err)
		return
	}
	current := false
	for _, s := range list {
		var clients []string
		for _, c := range s.ClientIDs() {
			if c != auth.AccountConsole {
				clients = append(clients, c)
			}
		}
		v := sessionView{ID: s.ID, Browser: browserName(s.UserAgent), IPAddress: s.IPAddress,
			Started: when(s.Started), LastAccess: when(s.LastAccess), Clients: strings.Join(clients, ", "),
			Current: s.ID == a.b.SessionID}
		current = current || v.Current
		p.Sessions = append(p.Sessions, v)
	}
	if !current {
		// Recorded from auth.login.success: the session service may not
		// have seen this one yet.
		p.Sessions = append([]sessionView{{ID: a.b.SessionID, Browser: browserName(r.UserAgent()),
			IPAddress: h.clientIP(r), Started: when(a.b.Started), LastAccess: when(h.now()), Current: true}}, p.Sessions...)
	}
	h.render(w, r, http.StatusOK, pageDevices, p)
}

// signOutSession serves POST {realm}/account/devices/{sid}/sign-out: the
// user ends one of their other sessions (session.terminated; its tokens
// stop working).
func (h *Handler) signOutSession(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "devices")
	if a == nil {
		return
	}
	sid := chi.URLParam(r, "sid")
	if h.sessions == nil {
		h.fail(w, r, a.realm.Name, "Sessions", iam.Errorf(iam.CodeUnavailable, "no session service"))
		return
	}
	if sid == a.b.SessionID {
		// This browser's own session: that is signing out.
		redirect(w, r, h.urls(a.realm.Name).logout(), nil)
		return
	}
	if err := h.sessions.TerminateOwn(a.ctx(h, r), a.realm.Name, a.user.ID, sid); err != nil && !errors.Is(err, iam.ErrNotFound) {
		h.fail(w, r, a.realm.Name, "Sessions", err)
		return
	}
	h.done(w, r, a.realm.Name, "devices", "signed-out")
}

// when formats a time for the pages (UTC).
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// browserName names a browser and system from a user agent, roughly.
func browserName(ua string) string {
	var b, os string
	switch {
	case strings.Contains(ua, "Edg/"):
		b = "Edge"
	case strings.Contains(ua, "Firefox/"):
		b = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		b = "Chrome"
	case strings.Contains(ua, "Safari/"):
		b = "Safari"
	}
	switch {
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad"):
		os = "iOS"
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
		os = "macOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	switch {
	case b != "" && os != "":
		return b + " on " + os
	case b != "":
		return b
	case os != "":
		return os
	case ua == "":
		return "Unknown device"
	}
	if len(ua) > 60 {
		ua = ua[:60] + "…"
	}
	return ua
}
