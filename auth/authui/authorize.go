package authui

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// authorize serves GET and POST {realm}/protocol/openid-connect/auth: it
// checks the request (auth.Service.Authorize), then answers at once from
// the browser's SSO session when it has one that needs nothing more, or
// starts a sign-in at the login page. Errors about the client or its
// redirect URI are shown on a page and never redirected; the others go
// back to the client with state and iss.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	rr, ok := h.realmParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		form, err := h.form(w, r)
		if err != nil {
			h.fail(w, r, rr.Name, "We can't sign you in", err)
			return
		}
		params = form
	}
	for name, v := range params {
		if len(v) > 1 {
			// RFC 6749 §3.1: parameters must not repeat; which value is
			// meant is unknown, so nothing is redirected.
			h.fail(w, r, rr.Name, "We can't sign you in", iam.Invalidf(name, "Invalid request: parameter %s is repeated.", name))
			return
		}
	}
	a, err := h.svc.Authorize(ctx, auth.AuthorizationRequest{
		Realm: rr.Name, ResponseType: params.Get("response_type"), ClientID: params.Get("client_id"),
		RedirectURI: params.Get("redirect_uri"), Scope: params.Get("scope"), State: params.Get("state"),
		Nonce: params.Get("nonce"), CodeChallenge: params.Get("code_challenge"),
		CodeChallengeMethod: params.Get("code_challenge_method"), Prompt: params.Get("prompt"),
		MaxAge: params.Get("max_age"), LoginHint: params.Get("login_hint"), UILocales: params.Get("ui_locales"),
		ResponseMode: params.Get("response_mode"), Request: params.Get("request"), RequestURI: params.Get("request_uri"),
	})
	if err != nil {
		if a.RedirectURI == "" {
			h.fail(w, r, rr.Name, "We can't sign you in", err)
			return
		}
		h.authError(w, r, rr, a, auth.OAuthCode(err), iam.ErrorMessage(err))
		return
	}

	b, err := h.svc.BrowserSession(ctx, rr.Name, cookieValue(r, sessionCookie))
	signedIn := err == nil
	if err != nil && !errors.Is(err, iam.ErrNotFound) {
		h.authError(w, r, rr, a, auth.ErrorTemporarilyUnavailable, "The sign-in service is temporarily unavailable.")
		return
	}
	if signedIn && (a.Prompt == auth.PromptLogin ||
		(a.MaxAge >= 0 && h.now().Sub(b.AuthTime) > time.Duration(a.MaxAge)*time.Second)) {
		signedIn = false // the client wants the user to authenticate again
	}
	if !signedIn {
		if a.Prompt == auth.PromptNone {
			h.authError(w, r, rr, a, auth.ErrorLoginRequired, "The user is not signed in.")
			return
		}
		h.startFlow(w, r, rr, a, nil, "")
		return
	}

	// Signed in: the user may still owe a second factor (the realm started
	// requiring one) or required actions (an administrator added one).
	u, err := h.accounts.Get(ctx, rr.Name, b.UserID)
	if err != nil {
		h.authError(w, r, rr, a, auth.ErrorTemporarilyUnavailable, "The sign-in service is temporarily unavailable.")
		return
	}
	st := &state{realm: rr, user: u, flow: auth.LoginFlow{UserID: u.ID, AuthTime: b.AuthTime, SecondFactor: b.SecondFactor}}
	if err := h.next(ctx, st); err != nil {
		h.authError(w, r, rr, a, auth.ErrorTemporarilyUnavailable, "The sign-in service is temporarily unavailable.")
		return
	}
	if st.step != stepDone {
		if a.Prompt == auth.PromptNone {
			h.authError(w, r, rr, a, auth.ErrorInteractionRequired, "The user must complete a step of the sign-in.")
			return
		}
		h.startFlow(w, r, rr, a, &u, "")
		return
	}
	if err := h.svc.JoinBrowserSession(ctx, h.attempt(r, rr.Name, a.ClientID), a.ClientUUID, b, u); err != nil {
		h.fail(w, r, rr.Name, "We can't sign you in", err)
		return
	}
	h.issue(w, r, rr, a, b)
}

// startFlow starts a sign-in answering a (or, with a zero a, returning to
// the account page ret) and sends the browser to its first page. With
// signedIn set, the flow continues the browser's session for that user:
// the password step is done.
func (h *Handler) startFlow(w http.ResponseWriter, r *http.Request, rr realms.Realm, a auth.Authorization, signedIn *users.User, ret string) {
	ctx := r.Context()
	browser := h.browserID(w, r, rr.Name)
	f, err := h.svc.StartLoginFlow(ctx, rr.Name, browser, a, ret)
	if err != nil {
		h.fail(w, r, rr.Name, "We can't sign you in", err)
		return
	}
	if signedIn != nil {
		b, err := h.svc.BrowserSession(ctx, rr.Name, cookieValue(r, sessionCookie))
		if err != nil {
			h.fail(w, r, rr.Name, "We can't sign you in", err)
			return
		}
		f.UserID, f.AuthTime, f.SecondFactor, f.SessionID = signedIn.ID, b.AuthTime, b.SecondFactor, b.SessionID
		st := &state{realm: rr, flow: f, browser: browser}
		if err := h.svc.SaveLoginFlow(ctx, f); err != nil {
			h.fail(w, r, rr.Name, "We can't sign you in", err)
			return
		}
		if err := h.next(ctx, st); err != nil {
			h.fail(w, r, rr.Name, "We can't sign you in", err)
			return
		}
		h.goTo(w, r, st)
		return
	}
	redirect(w, r, h.urls(rr.Name).login(stepLogin, f.ID), nil)
}

// authError sends error code to the client of a.
func (h *Handler) authError(w http.ResponseWriter, r *http.Request, rr realms.Realm, a auth.Authorization, code, description string) {
	h.respond(w, r, rr, a, url.Values{"error": {code}, "error_description": {description}})
}
