package authui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// The steps of a sign-in, each a page under /realms/{realm}/login-actions/.
// A flow is always at the first step it has not passed: the password, then
// the second factor, then the required actions one by one; a request for
// another step's page is redirected to the flow's.
const (
	stepLogin    = "authenticate"
	stepOTP      = "otp"
	stepAction   = "required-action"
	stepRegister = "registration"
	stepDone     = ""
)

// state is a flow with what its pages need.
type state struct {
	realm   realms.Realm
	flow    auth.LoginFlow
	browser string // the login cookie
	user    users.User
	step    string
	sf      auth.SecondFactorStep
	actions []string // pending required actions, in order
}

// attempt describes the request's browser for brute-force counters and
// events, signing in to clientID.
func (h *Handler) attempt(r *http.Request, realm iam.Realm, clientID string) auth.BrowserAttempt {
	if clientID == "" {
		clientID = auth.AccountConsole
	}
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return auth.BrowserAttempt{Realm: realm, ClientID: clientID, IP: h.clientIP(r), UserAgent: ua}
}

// realmParam parses {realm} and reads the realm; on failure it renders the
// error page and returns false.
func (h *Handler) realmParam(w http.ResponseWriter, r *http.Request) (realms.Realm, bool) {
	name, err := iam.ParseRealm(chi.URLParam(r, "realm"))
	if err != nil {
		h.fail(w, r, "", "Page not found", iam.NotFoundf("There is no such page."))
		return realms.Realm{}, false
	}
	rr, err := h.realm(r.Context(), name)
	if err == nil && !rr.Enabled {
		err = iam.NotFoundf("This realm is not available.")
	}
	if err != nil {
		h.fail(w, r, name, "We can't sign you in", err)
		return realms.Realm{}, false
	}
	return rr, true
}

// loadFlow reads the flow named by the request's tx parameter, which must
// belong to this browser, and for a POST checks the form's CSRF token.
// When the flow is at another step than want it redirects there. It
// renders the answer and returns nil when the request goes no further.
func (h *Handler) loadFlow(w http.ResponseWriter, r *http.Request, want string) (*state, url.Values) {
	rr, ok := h.realmParam(w, r)
	if !ok {
		return nil, nil
	}
	ctx := r.Context()
	browser := cookieValue(r, loginCookie)
	f, err := h.svc.LoginFlow(ctx, rr.Name, r.URL.Query().Get("tx"), browser)
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			h.message(w, r, rr.Name, http.StatusBadRequest, "This sign-in has expired",
				"Go back to the application and sign in again.")
			return nil, nil
		}
		h.fail(w, r, rr.Name, "We can't sign you in", err)
		return nil, nil
	}
	var form url.Values
	if r.Method == http.MethodPost {
		if form, err = h.form(w, r); err != nil {
			h.fail(w, r, rr.Name, "We can't sign you in", err)
			return nil, nil
		}
		if !sameToken(form.Get("csrf"), f.CSRF) {
			h.fail(w, r, rr.Name, "This form has expired", errCSRF)
			return nil, nil
		}
	}
	st := &state{realm: rr, flow: f, browser: browser}
	if err := h.next(ctx, st); err != nil {
		h.fail(w, r, rr.Name, "We can't sign you in", err)
		return nil, nil
	}
	if st.step != want && !(want == stepRegister && st.step == stepLogin) {
		h.goTo(w, r, st)
		return nil, nil
	}
	return st, form
}

// next computes the flow's step, reading its user.
func (h *Handler) next(ctx context.Context, st *state) error {
	f := &st.flow
	if f.UserID == "" {
		st.step = stepLogin
		return nil
	}
	u, err := h.accounts.Get(ctx, st.realm.Name, f.UserID)
	if errors.Is(err, iam.ErrNotFound) || (err == nil && !u.Enabled) {
		// The user was deleted or disabled meanwhile: start over.
		f.UserID, f.SecondFactor = "", false
		st.step = stepLogin
		return h.svc.SaveLoginFlow(ctx, *f)
	}
	if err != nil {
		return err
	}
	st.user = u
	if !f.SecondFactor {
		if st.sf, err = h.svc.SecondFactorStep(ctx, st.realm.Name, u); err != nil {
			return err
		}
		if st.sf.Required && !st.sf.Enrol {
			st.step = stepOTP
			return nil
		}
	}
	if st.actions, err = h.svc.PendingActions(ctx, st.realm.Name, u); err != nil {
		return err
	}
	if st.sf.Enrol && !f.SecondFactor && !slices.Contains(st.actions, users.ActionConfigureTOTP) {
		// A second factor is required and the user has none: setting up an
		// authenticator is the second factor.
		i := 0
		if len(st.actions) > 0 && st.actions[0] == users.ActionUpdatePassword {
			i = 1
		}
		st.actions = slices.Insert(st.actions, i, users.ActionConfigureTOTP)
	}
	if len(st.actions) > 0 {
		st.step = stepAction
		return nil
	}
	st.step = stepDone
	return nil
}

// advance saves the flow's progress and sends the browser on: to the
// flow's next page, or, when it is done, back to the application.
func (h *Handler) advance(w http.ResponseWriter, r *http.Request, st *state) {
	ctx := r.Context()
	if err := h.svc.SaveLoginFlow(ctx, st.flow); err != nil {
		h.fail(w, r, st.realm.Name, "We can't sign you in", err)
		return
	}
	if err := h.next(ctx, st); err != nil {
		h.fail(w, r, st.realm.Name, "We can't sign you in", err)
		return
	}
	h.goTo(w, r, st)
}

// goTo redirects to the flow's step, or finishes it.
func (h *Handler) goTo(w http.ResponseWriter, r *http.Request, st *state) {
	if st.step == stepDone {
		h.finish(w, r, st)
		return
	}
	redirect(w, r, h.urls(st.realm.Name).login(st.step, st.flow.ID), nil)
}

// finish ends a flow whose steps are all done: it signs the browser into
// the session (a new one, or the same user's current one continued) and
// answers the authorization request with a code, or returns to the
// account page that asked.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, st *state) {
	ctx := r.Context()
	realm := st.realm.Name
	f, err := h.svc.FinishLoginFlow(ctx, realm, st.flow.ID, st.browser)
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			h.message(w, r, realm, http.StatusBadRequest, "This sign-in has expired",
				"This sign-in was already completed. Go back to the application.")
			return
		}
		h.fail(w, r, realm, "We can't sign you in", err)
		return
	}
	var current *auth.BrowserSession
	if b, err := h.svc.BrowserSession(ctx, realm, cookieValue(r, sessionCookie)); err == nil {
		current = &b
	} else if !errors.Is(err, iam.ErrNotFound) {
		h.fail(w, r, realm, "We can't sign you in", err)
		return
	}
	b, cookie, err := h.svc.StartBrowserSession(ctx, auth.SessionStart{
		Attempt: h.attempt(r, realm, f.Request.ClientID), ClientUUID: f.Request.ClientUUID, User: st.user,
		AuthTime: f.AuthTime, SecondFactor: f.SecondFactor, SessionID: f.SessionID, Continue: current,
	})
	if err != nil {
		h.fail(w, r, realm, "We can't sign you in", err)
		return
	}
	h.setCookie(w, realm, sessionCookie, cookie)
	if f.Request.ClientID == "" {
		redirect(w, r, h.accountReturn(realm, f.Return), nil)
		return
	}
	h.issue(w, r, st.realm, f.Request, b)
}

// issue answers authorization request a with a code of session b.
func (h *Handler) issue(w http.ResponseWriter, r *http.Request, rr realms.Realm, a auth.Authorization, b auth.BrowserSession) {
	code, err := h.svc.IssueCode(r.Context(), auth.CodeRequest{
		Realm: rr.Name, ClientID: a.ClientID, RedirectURI: a.RedirectURI, Scope: a.Scope, Nonce: a.Nonce,
		CodeChallenge: a.CodeChallenge, CodeChallengeMethod: a.CodeChallengeMethod, UserID: b.UserID,
		SessionID: b.SessionID, SessionStarted: b.Started, AuthTime: b.AuthTime,
	})
	if err != nil {
		if a.RedirectURI != "" && userError(err) {
			h.respond(w, r, rr, a, url.Values{"error": {auth.OAuthCode(err)}, "error_description": {iam.ErrorMessage(err)}})
			return
		}
		h.fail(w, r, rr.Name, "We can't sign you in", err)
		return
	}
	h.respond(w, r, rr, a, url.Values{"code": {code}})
}

// respond sends an authorization response (a code or an error) to the
// client: params plus state and iss (RFC 9207), in the query of its
// redirect URI (302, or 303 after a form: never 307, which would repeat
// the form's credentials), or as an auto-submitted form (form_post).
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, rr realms.Realm, a auth.Authorization, params url.Values) {
	params.Set("iss", h.svc.Issuer(rr.Name))
	if a.State != "" {
		params.Set("state", a.State)
	}
	if a.ResponseMode == auth.ResponseModeFormPost {
		p := h.newPage(rr, "Signing you in")
		p.FormPost = &formPost{Action: a.RedirectURI}
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.FormPost.Fields = append(p.FormPost.Fields, field{k, params.Get(k)})
		}
		th := p.theme
		p.Script = h.urls(rr.Name).resource(th.name, "form-post.js", th.version("form-post.js"))
		p.formTargets = targets(a.RedirectURI)
		h.render(w, r, http.StatusOK, pageFormPost, p)
		return
	}
	u, err := url.Parse(a.RedirectURI)
	if err != nil {
		h.fail(w, r, rr.Name, "We can't sign you in", iam.Invalidf("redirect_uri", "Invalid redirect URI."))
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	redirect(w, r, u.String(), nil)
}

// redirect sends the browser to location: 302 after a GET, 303 after a
// POST (the browser then GETs location; a 307 would post the form again,
// credentials included). The page headers apply to the redirect too.
func redirect(w http.ResponseWriter, r *http.Request, location string, formTargets []string) {
	securityHeaders(w, formTargets)
	w.Header().Set("Location", location)
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusFound)
}

// targets returns the CSP form targets of a redirect URI.
func targets(uri string) []string {
	if t := formTarget(uri); t != "" {
		return []string{t}
	}
	return nil
}

// accountReturn returns ret if it is one of the realm's account pages,
// else the profile page: a flow only ever returns inside the account pages.
func (h *Handler) accountReturn(realm iam.Realm, ret string) string {
	base := h.urls(realm).account("")
	if strings.HasPrefix(ret, base) && !strings.ContainsAny(ret[len(base):], "\\#") && !strings.Contains(ret, "..") {
		return ret
	}
	return h.urls(realm).account("profile")
}

// flowPage returns a page of the flow's realm for the flow's forms.
func (h *Handler) flowPage(st *state, title, step string) *page {
	p := h.newPage(st.realm, title)
	p.CSRF = st.flow.CSRF
	p.Action = h.urls(st.realm.Name).login(step, st.flow.ID)
	if a := st.flow.Request; a.ClientID != "" {
		p.Client = a.ClientName
		if p.Client == "" {
			p.Client = a.ClientID
		}
		// Forms may end in a redirect to the application.
		p.formTargets = targets(a.RedirectURI)
	}
	if st.user.ID != "" {
		p.Username = st.user.Username
	}
	p.Links.Restart = h.urls(st.realm.Name).login("restart", st.flow.ID)
	return p
}
