package authui

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// otpPage serves GET {realm}/login-actions/otp?tx=: the second factor — a
// code of the user's authenticator app, a recovery code, or a code sent by
// email.
func (h *Handler) otpPage(w http.ResponseWriter, r *http.Request) {
	st, _ := h.loadFlow(w, r, stepOTP)
	if st == nil {
		return
	}
	h.render(w, r, http.StatusOK, pageOTP, h.otpForm(st))
}

func (h *Handler) otpForm(st *state) *page {
	p := h.flowPage(st, "Two-step verification", stepOTP)
	sf := st.sf
	p.SecondFactor = &sf
	p.EmailSent = st.flow.EmailCodeSent
	return p
}

// otp serves POST {realm}/login-actions/otp?tx=: action=send-email sends a
// code by email (then shows the form again, 303); otherwise the code is
// checked (auth.Service.VerifySecondFactor: wrong codes count towards the
// second-factor lockout and publish auth.login.failure) and the flow moves
// on.
func (h *Handler) otp(w http.ResponseWriter, r *http.Request) {
	st, form := h.loadFlow(w, r, stepOTP)
	if st == nil {
		return
	}
	ctx := r.Context()
	if form.Get("action") == "send-email" {
		err := h.svc.SendSecondFactorEmail(ctx, st.realm.Name, st.user)
		if err != nil {
			if !userError(err) {
				h.fail(w, r, st.realm.Name, "We can't sign you in", err)
				return
			}
			p := h.otpForm(st)
			p.Error = "We can't send another code right now. Please wait a few minutes."
			if iam.ErrorCode(err) != iam.CodeRateLimited {
				p.Error = iam.ErrorMessage(err)
			}
			h.render(w, r, statusOf(err), pageOTP, p)
			return
		}
		st.flow.EmailCodeSent = true
		h.advance(w, r, st)
		return
	}
	err := h.svc.VerifySecondFactor(ctx, h.attempt(r, st.realm.Name, st.flow.Request.ClientID), st.user, form.Get("code"))
	if err != nil {
		if !userError(err) {
			h.fail(w, r, st.realm.Name, "We can't sign you in", err)
			return
		}
		p := h.otpForm(st)
		p.Errors["code"] = "That code is not valid. Check it and try again."
		if iam.ErrorCode(err) == iam.CodeInvalid {
			p.Errors["code"] = iam.ErrorMessage(err)
		}
		h.render(w, r, statusOf(err), pageOTP, p)
		return
	}
	st.flow.SecondFactor = true
	h.advance(w, r, st)
}
