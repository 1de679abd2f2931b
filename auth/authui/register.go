package authui

import (
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// registerPage serves GET {realm}/login-actions/registration?tx=: the
// registration form, where the realm allows registration
// (registrationAllowed).
func (h *Handler) registerPage(w http.ResponseWriter, r *http.Request) {
	st, _ := h.loadFlow(w, r, stepRegister)
	if st == nil {
		return
	}
	if !st.realm.RegistrationAllowed {
		h.message(w, r, st.realm.Name, http.StatusNotFound, "Registration is closed", "This realm does not allow registration.")
		return
	}
	h.render(w, r, http.StatusOK, pageRegister, h.registerForm(st))
}

func (h *Handler) registerForm(st *state) *page {
	p := h.flowPage(st, "Create an account", stepRegister)
	p.Links.Login = h.urls(st.realm.Name).login(stepLogin, st.flow.ID)
	return p
}

// register serves POST {realm}/login-actions/registration?tx=: it creates
// the user (users' Register, which checks registrationAllowed again) and
// signs them in: the flow goes on as after a password.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	st, form := h.loadFlow(w, r, stepRegister)
	if st == nil {
		return
	}
	in := users.Registration{Username: strings.TrimSpace(form.Get("username")), Email: strings.TrimSpace(form.Get("email")),
		FirstName: strings.TrimSpace(form.Get("firstName")), LastName: strings.TrimSpace(form.Get("lastName")),
		Password: form.Get("password")}
	fields := []string{"username", "email", "firstName", "lastName", "password", "confirmation"}
	fail := func(err error) {
		p := h.registerForm(st)
		p.Values = map[string]string{"username": in.Username, "email": in.Email, "firstName": in.FirstName, "lastName": in.LastName}
		p.fieldError(err, fields...)
		h.render(w, r, statusOf(err), pageRegister, p)
	}
	if in.Username == "" {
		fail(iam.Invalidf("username", "Choose a username."))
		return
	}
	if err := checkConfirmation(in.Password, form.Get("confirmation")); err != nil {
		fail(err)
		return
	}
	u, err := h.accounts.Register(r.Context(), st.realm.Name, in)
	if err != nil {
		if !userError(err) {
			h.fail(w, r, st.realm.Name, "We can't create your account", err)
			return
		}
		if iam.ErrorCode(err) == iam.CodeConflict && iam.ErrorField(err) == "" {
			err = iam.Invalidf("username", "%s", iam.ErrorMessage(err))
		}
		fail(err)
		return
	}
	h.authenticated(r, st, u)
	h.advance(w, r, st)
}
