package authui

import (
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// loginPage serves GET {realm}/login-actions/authenticate?tx=: the
// username-or-email and password form.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	st, _ := h.loadFlow(w, r, stepLogin)
	if st == nil {
		return
	}
	p := h.loginForm(st)
	p.Values["username"] = st.flow.Request.LoginHint
	h.render(w, r, http.StatusOK, pageLogin, p)
}

func (h *Handler) loginForm(st *state) *page {
	p := h.flowPage(st, "Sign in", stepLogin)
	u := h.urls(st.realm.Name)
	p.Links.ForgotPassword = u.resetPassword()
	if st.realm.RegistrationAllowed {
		p.Links.Register = u.login(stepRegister, st.flow.ID)
	}
	return p
}

// login serves POST {realm}/login-actions/authenticate?tx=: the password
// step. Wrong credentials show the form again (401) with one message for
// every cause; right ones move the flow on (303).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	st, form := h.loadFlow(w, r, stepLogin)
	if st == nil {
		return
	}
	username := strings.TrimSpace(form.Get("username"))
	u, err := h.svc.CheckPassword(r.Context(), h.attempt(r, st.realm.Name, st.flow.Request.ClientID), username, form.Get("password"))
	if err != nil {
		if !userError(err) {
			h.fail(w, r, st.realm.Name, "We can't sign you in", err)
			return
		}
		p := h.loginForm(st)
		p.Values["username"] = username
		if auth.OAuthCode(err) == auth.ErrorInvalidGrant {
			p.Error = "Invalid username or password."
		} else {
			p.fieldError(err, "username", "password")
		}
		h.render(w, r, statusOf(err), pageLogin, p)
		return
	}
	h.authenticated(r, st, u)
	h.advance(w, r, st)
}

// authenticated records in the flow that u has just authenticated, and the
// session the flow will sign the browser into: the browser's current one
// when it is u's, else a new one.
func (h *Handler) authenticated(r *http.Request, st *state, u users.User) {
	st.user = u
	f := &st.flow
	f.UserID, f.AuthTime = u.ID, h.now()
	f.SecondFactor, f.EmailCodeSent, f.VerifyEmailSent = false, false, false
	f.SessionID = iam.NewID()
	if b, err := h.svc.BrowserSession(r.Context(), st.realm.Name, cookieValue(r, sessionCookie)); err == nil && b.UserID == u.ID {
		f.SessionID = b.SessionID
	}
}

// restart serves POST {realm}/login-actions/restart?tx=: "sign in as
// someone else" forgets who the flow authenticated.
func (h *Handler) restart(w http.ResponseWriter, r *http.Request) {
	rr, ok := h.realmParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	browser := cookieValue(r, loginCookie)
	f, err := h.svc.LoginFlow(ctx, rr.Name, r.URL.Query().Get("tx"), browser)
	if err != nil {
		h.message(w, r, rr.Name, http.StatusBadRequest, "This sign-in has expired", "Go back to the application and sign in again.")
		return
	}
	form, err := h.form(w, r)
	if err != nil || !sameToken(form.Get("csrf"), f.CSRF) {
		h.fail(w, r, rr.Name, "This form has expired", errCSRF)
		return
	}
	f.UserID, f.SecondFactor, f.EmailCodeSent, f.VerifyEmailSent = "", false, false, false
	st := &state{realm: rr, flow: f, browser: browser}
	h.advance(w, r, st)
}
