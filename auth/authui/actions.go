package authui

import (
	"bytes"
	"context"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/users"
)

// actionPage serves GET {realm}/login-actions/required-action?tx=: the
// page of the flow's first pending required action.
func (h *Handler) actionPage(w http.ResponseWriter, r *http.Request) {
	st, _ := h.loadFlow(w, r, stepAction)
	if st == nil {
		return
	}
	ctx := r.Context()
	switch action := st.actions[0]; action {
	case users.ActionUpdatePassword:
		h.render(w, r, http.StatusOK, pageUpdatePassword, h.flowPage(st, "Choose a new password", stepAction))
	case users.ActionUpdateProfile:
		p := h.flowPage(st, "Update your profile", stepAction)
		profileValues(p, st.user)
		h.render(w, r, http.StatusOK, pageUpdateProfile, p)
	case users.ActionVerifyEmail:
		if !st.flow.VerifyEmailSent {
			if err := h.accounts.SendVerifyEmail(h.asUser(ctx, st.realm.Name, st.user.ID, ""), st.realm.Name, st.user.ID, 0); err != nil {
				h.fail(w, r, st.realm.Name, "We can't sign you in", err)
				return
			}
			st.flow.VerifyEmailSent = true
			if err := h.svc.SaveLoginFlow(ctx, st.flow); err != nil {
				h.fail(w, r, st.realm.Name, "We can't sign you in", err)
				return
			}
		}
		p := h.flowPage(st, "Verify your email", stepAction)
		p.Values["email"] = st.user.Email
		h.render(w, r, http.StatusOK, pageVerifyEmail, p)
	case users.ActionConfigureTOTP:
		p := h.flowPage(st, "Set up an authenticator app", stepAction)
		if !h.startEnrolment(w, r, st, p) {
			return
		}
		h.render(w, r, http.StatusOK, pageConfigureTOTP, p)
	default:
		h.message(w, r, st.realm.Name, http.StatusForbidden, "Your account is not fully set up",
			"Your account needs an action this server cannot perform ("+action+"). Contact your administrator.")
	}
}

// action serves POST {realm}/login-actions/required-action?tx=: it
// performs the action the form names, which must be the flow's current
// one, and moves the flow on (303) or shows the form with its errors.
func (h *Handler) action(w http.ResponseWriter, r *http.Request) {
	st, form := h.loadFlow(w, r, stepAction)
	if st == nil {
		return
	}
	action := st.actions[0]
	if form.Get("action") != action {
		// A form of an earlier page (the back button): show the current one.
		h.goTo(w, r, st)
		return
	}
	ctx := h.asUser(r.Context(), st.realm.Name, st.user.ID, st.flow.SessionID)
	realm := st.realm.Name
	switch action {
	case users.ActionUpdatePassword:
		p := h.flowPage(st, "Choose a new password", stepAction)
		pw := form.Get("password")
		if err := checkConfirmation(pw, form.Get("confirmation")); err != nil {
			p.fieldError(err, "password", "confirmation")
			h.render(w, r, http.StatusBadRequest, pageUpdatePassword, p)
			return
		}
		if err := h.accounts.UpdatePassword(ctx, realm, st.user.ID, pw); err != nil {
			if !userError(err) {
				h.fail(w, r, realm, "We can't sign you in", err)
				return
			}
			p.fieldError(err, "password", "confirmation")
			h.render(w, r, statusOf(err), pageUpdatePassword, p)
			return
		}
	case users.ActionUpdateProfile:
		patch, vals := profilePatch(form)
		if _, err := h.accounts.UpdateAccount(ctx, realm, st.user.ID, patch); err != nil {
			if !userError(err) {
				h.fail(w, r, realm, "We can't sign you in", err)
				return
			}
			p := h.flowPage(st, "Update your profile", stepAction)
			p.Values = vals
			p.fieldError(err, "email", "firstName", "lastName")
			h.render(w, r, statusOf(err), pageUpdateProfile, p)
			return
		}
		if err := h.accounts.CompleteRequiredAction(ctx, realm, st.user.ID, users.ActionUpdateProfile); err != nil {
			h.fail(w, r, realm, "We can't sign you in", err)
			return
		}
	case users.ActionVerifyEmail:
		if form.Get("do") == "resend" {
			if err := h.accounts.SendVerifyEmail(ctx, realm, st.user.ID, 0); err != nil {
				h.fail(w, r, realm, "We can't sign you in", err)
				return
			}
		}
		p := h.flowPage(st, "Verify your email", stepAction)
		p.Values["email"] = st.user.Email
		if form.Get("do") == "resend" {
			p.Notice = "We sent the email again."
		} else {
			p.Error = "Your email address is not verified yet. Open the link in the email we sent, then continue."
		}
		h.render(w, r, http.StatusOK, pageVerifyEmail, p)
		return
	case users.ActionConfigureTOTP:
		if !h.confirmEnrolment(w, r, st, form) {
			return
		}
		st.flow.SecondFactor = true // the new authenticator's code proved it
	}
	h.advance(w, r, st)
}

// startEnrolment starts enrolling an authenticator app for the flow's user
// and puts it on p; false (with the error page rendered) on failure.
func (h *Handler) startEnrolment(w http.ResponseWriter, r *http.Request, st *state, p *page) bool {
	if h.mfa == nil {
		h.message(w, r, st.realm.Name, http.StatusServiceUnavailable, "Your account is not fully set up",
			"Your account needs an authenticator app, and this server cannot set one up. Contact your administrator.")
		return false
	}
	e, err := h.mfa.StartTOTP(r.Context(), st.realm.Name, st.user.ID, st.user.Username, "")
	if err != nil {
		h.fail(w, r, st.realm.Name, "We can't set up an authenticator", err)
		return false
	}
	p.Enrolment = enrolmentOf(e)
	return true
}

// confirmEnrolment checks the code of the enrolment the form names; false
// (with the form shown again, the same key on it) when it is wrong.
func (h *Handler) confirmEnrolment(w http.ResponseWriter, r *http.Request, st *state, form url.Values) bool {
	if h.mfa == nil {
		h.fail(w, r, st.realm.Name, "We can't set up an authenticator", iam.Errorf(iam.CodeUnavailable, "no MFA service"))
		return false
	}
	factorID, code := form.Get("factor"), strings.TrimSpace(form.Get("code"))
	_, err := h.mfa.ConfirmTOTP(r.Context(), st.realm.Name, st.user.ID, factorID, code)
	if err == nil {
		return true
	}
	if !userError(err) && iam.ErrorCode(err) != iam.CodeNotFound {
		h.fail(w, r, st.realm.Name, "We can't set up an authenticator", err)
		return false
	}
	p := h.flowPage(st, "Set up an authenticator app", stepAction)
	if iam.ErrorCode(err) == iam.CodeNotFound {
		// The enrolment expired: a new key.
		p.Error = "That setup expired. Scan the new QR code."
		if !h.startEnrolment(w, r, st, p) {
			return false
		}
	} else {
		p.Errors["code"] = "That code is not valid. Check the time on your device and try the next code."
		p.Enrolment = enrolmentFromForm(form)
		if p.Enrolment == nil {
			if !h.startEnrolment(w, r, st, p) {
				return false
			}
		}
	}
	h.render(w, r, http.StatusBadRequest, pageConfigureTOTP, p)
	return false
}

// enrolmentView is what the configure-totp page shows: the QR code (a PNG
// data: URI), the key for manual entry and the code's parameters. The
// form posts the factor id and the otpauth URI back, so that a wrong code
// shows the same key again without the server keeping the secret anywhere
// but in the MFA service.
type enrolmentView struct {
	FactorID  string
	URI       string
	QR        template.URL
	Secret    string
	Digits    int
	Period    int
	Algorithm string
}

func enrolmentOf(e mfa.Enrolment) *enrolmentView {
	return &enrolmentView{FactorID: e.FactorID, URI: e.URI, QR: pngDataURI(e.QRCode), Secret: groups(e.Secret),
		Digits: e.Digits, Period: int(e.Period / time.Second), Algorithm: strings.TrimPrefix(e.Algorithm, "Hmac")}
}

// enrolmentFromForm rebuilds the view of a pending enrolment from the
// posted otpauth URI (nil if it is not one).
func enrolmentFromForm(form url.Values) *enrolmentView {
	raw := form.Get("uri")
	if len(raw) > 1024 || !strings.HasPrefix(raw, "otpauth://totp/") {
		return nil
	}
	key, err := otp.NewKeyFromURL(raw)
	if err != nil || key.Secret() == "" {
		return nil
	}
	img, err := key.Image(mfa.QRCodeSize, mfa.QRCodeSize)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	q, _ := url.ParseQuery(strings.SplitN(raw, "?", 2)[1])
	digits, _ := strconv.Atoi(q.Get("digits"))
	period, _ := strconv.Atoi(q.Get("period"))
	return &enrolmentView{FactorID: form.Get("factor"), URI: raw, QR: pngDataURI(buf.Bytes()), Secret: groups(key.Secret()),
		Digits: digits, Period: period, Algorithm: q.Get("algorithm")}
}

// pngDataURI is a PNG image as a data: URI for an img src (the CSP allows
// data: images).
func pngDataURI(b []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b)) // #nosec: our own PNG bytes
}

// groups splits a base32 key into groups of four for reading.
func groups(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// checkConfirmation checks that a new password was typed twice alike.
func checkConfirmation(pw, confirmation string) error {
	switch {
	case pw == "":
		return iam.Invalidf("password", "Enter a new password.")
	case pw != confirmation:
		return iam.Invalidf("confirmation", "The passwords do not match.")
	}
	return nil
}

// profileValues fills a profile form with u's values.
func profileValues(p *page, u users.User) {
	p.Values["username"] = u.Username
	p.Values["email"] = u.Email
	p.Values["firstName"] = u.FirstName
	p.Values["lastName"] = u.LastName
	p.Values["emailVerified"] = strconv.FormatBool(u.EmailVerified)
}

// profilePatch reads a profile form into a patch, and its values to show
// again on error.
func profilePatch(form url.Values) (users.AccountPatch, map[string]string) {
	email := strings.TrimSpace(form.Get("email"))
	first := strings.TrimSpace(form.Get("firstName"))
	last := strings.TrimSpace(form.Get("lastName"))
	return users.AccountPatch{Email: &email, FirstName: &first, LastName: &last},
		map[string]string{"email": email, "firstName": first, "lastName": last}
}

// asUser returns ctx with the user as its principal, and the SSO session
// sid when known: the users service applies its self-service rules (a
// password change keeps that session).
func (h *Handler) asUser(ctx context.Context, realm iam.Realm, userID, sid string) context.Context {
	return iam.WithPrincipal(ctx, &iam.Principal{Subject: userID, Realm: realm, SessionID: sid, ClientID: "account-console"})
}
