package authui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

// factorView is an authenticator on the two-factor page.
type factorView struct {
	ID, Type, Label, Created string
}

// securityPage serves GET {realm}/account/security: the user's
// authenticator apps and recovery codes.
func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "security")
	if a == nil {
		return
	}
	p := h.accountPage(a, "Two-factor authentication", "security", "security")
	p.notice(r)
	if !h.securityData(w, r, a, p) {
		return
	}
	h.render(w, r, http.StatusOK, pageSecurity, p)
}

// securityData puts the user's factors on p; false (error page rendered)
// on failure.
func (h *Handler) securityData(w http.ResponseWriter, r *http.Request, a *account, p *page) bool {
	if h.mfa == nil {
		p.Error = "Two-factor authentication is not available on this server."
		return true
	}
	factors, err := h.mfa.Factors(a.ctx(h, r), a.realm.Name, a.user.ID)
	if err != nil {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", err)
		return false
	}
	for _, f := range factors {
		switch f.Type {
		case mfa.TypeTOTP:
			p.HasTOTP = true
			p.Factors = append(p.Factors, factorView{ID: f.ID, Type: f.Type, Label: f.Label, Created: when(f.CreatedAt)})
		case mfa.TypeRecoveryCodes:
			p.RemainingCodes = f.RemainingCodes
		}
	}
	return true
}

// startTOTP serves POST {realm}/account/security/totp: a new enrolment,
// shown at once (the answer to this POST carries the key: no-store).
// Needs a recent sign-in.
func (h *Handler) startTOTP(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "security")
	if a == nil || !h.recent(w, r, a, "security") {
		return
	}
	if h.mfa == nil {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", iam.Errorf(iam.CodeUnavailable, "no MFA service"))
		return
	}
	e, err := h.mfa.StartTOTP(a.ctx(h, r), a.realm.Name, a.user.ID, a.user.Username, strings.TrimSpace(a.form.Get("label")))
	if err != nil {
		h.securityError(w, r, a, err)
		return
	}
	p := h.accountPage(a, "Add an authenticator app", "security", "security/totp/confirm")
	p.Enrolment = enrolmentOf(e)
	h.render(w, r, http.StatusOK, pageConfigureTOTP, p)
}

// confirmTOTP serves POST {realm}/account/security/totp/confirm: the first
// code of the new authenticator makes it count.
func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "security")
	if a == nil || !h.recent(w, r, a, "security") {
		return
	}
	if h.mfa == nil {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", iam.Errorf(iam.CodeUnavailable, "no MFA service"))
		return
	}
	_, err := h.mfa.ConfirmTOTP(a.ctx(h, r), a.realm.Name, a.user.ID, a.form.Get("factor"), a.form.Get("code"))
	if err != nil {
		if !userError(err) && !errors.Is(err, iam.ErrNotFound) {
			h.fail(w, r, a.realm.Name, "Two-factor authentication", err)
			return
		}
		p := h.accountPage(a, "Add an authenticator app", "security", "security/totp/confirm")
		p.Enrolment = enrolmentFromForm(a.form)
		if errors.Is(err, iam.ErrNotFound) || p.Enrolment == nil {
			e, err := h.mfa.StartTOTP(a.ctx(h, r), a.realm.Name, a.user.ID, a.user.Username, "")
			if err != nil {
				h.securityError(w, r, a, err)
				return
			}
			p.Enrolment = enrolmentOf(e)
			p.Error = "That setup expired. Scan the new QR code."
		} else {
			p.Errors["code"] = "That code is not valid. Check the time on your device and try the next code."
		}
		h.render(w, r, http.StatusBadRequest, pageConfigureTOTP, p)
		return
	}
	h.done(w, r, a.realm.Name, "security", "totp")
}

// deleteFactor serves POST {realm}/account/security/{factorId}/delete.
// Needs a recent sign-in.
func (h *Handler) deleteFactor(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "security")
	if a == nil || !h.recent(w, r, a, "security") {
		return
	}
	if h.mfa == nil {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", iam.Errorf(iam.CodeUnavailable, "no MFA service"))
		return
	}
	err := h.mfa.DeleteCredential(a.ctx(h, r), a.realm.Name, a.user.ID, chi.URLParam(r, "factorId"))
	if err != nil && !errors.Is(err, iam.ErrNotFound) {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", err)
		return
	}
	h.done(w, r, a.realm.Name, "security", "removed")
}

// recoveryCodes serves POST {realm}/account/security/recovery-codes: a new
// set of recovery codes, shown once on the page this POST answers
// (no-store). Needs a recent sign-in.
func (h *Handler) recoveryCodes(w http.ResponseWriter, r *http.Request) {
	a := h.signedIn(w, r, "security")
	if a == nil || !h.recent(w, r, a, "security") {
		return
	}
	if h.mfa == nil {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", iam.Errorf(iam.CodeUnavailable, "no MFA service"))
		return
	}
	codes, err := h.mfa.RegenerateRecoveryCodes(a.ctx(h, r), a.realm.Name, a.user.ID)
	if err != nil {
		h.securityError(w, r, a, err)
		return
	}
	p := h.accountPage(a, "Two-factor authentication", "security", "security")
	p.RecoveryCodes = codes
	if !h.securityData(w, r, a, p) {
		return
	}
	h.render(w, r, http.StatusOK, pageSecurity, p)
}

// securityError shows the two-factor page with err's message (the
// caller's mistakes and the realm's policy), or the error page.
func (h *Handler) securityError(w http.ResponseWriter, r *http.Request, a *account, err error) {
	if !userError(err) {
		h.fail(w, r, a.realm.Name, "Two-factor authentication", err)
		return
	}
	p := h.accountPage(a, "Two-factor authentication", "security", "security")
	if !h.securityData(w, r, a, p) {
		return
	}
	p.Error = iam.ErrorMessage(err)
	h.render(w, r, statusOf(err), pageSecurity, p)
}
