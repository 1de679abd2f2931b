package authui

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// MountPublic registers the browser sign-in on r, with absolute paths.
// Every route authenticates its caller itself (the login cookie and a
// flow, or the SSO cookie): mount them outside the token-verifying
// middleware. authhttp.WithBrowser mounts them with auth's endpoints.
//
//	GET|POST /realms/{realm}/protocol/openid-connect/auth                    the authorization endpoint
//	GET|POST /realms/{realm}/protocol/openid-connect/logout                  RP-initiated logout (a POST with a refresh token: the back-channel handler)
//	GET|POST /realms/{realm}/login-actions/authenticate?tx=                  username or email and password
//	GET|POST /realms/{realm}/login-actions/otp?tx=                           second factor
//	GET|POST /realms/{realm}/login-actions/required-action?tx=               UPDATE_PASSWORD, CONFIGURE_TOTP, UPDATE_PROFILE, VERIFY_EMAIL
//	GET|POST /realms/{realm}/login-actions/registration?tx=                  registration (registrationAllowed)
//	POST     /realms/{realm}/login-actions/restart?tx=                       sign in as someone else
//	GET|POST /realms/{realm}/account/profile                                 name and email
//	GET|POST /realms/{realm}/account/password                                password change
//	GET      /realms/{realm}/account/security                                authenticator apps, recovery codes
//	POST     /realms/{realm}/account/security/totp                           start adding an authenticator
//	POST     /realms/{realm}/account/security/totp/confirm                   its first code
//	POST     /realms/{realm}/account/security/{factorId}/delete              remove one
//	POST     /realms/{realm}/account/security/recovery-codes                 new recovery codes
//	GET      /realms/{realm}/account/devices                                 active sessions
//	POST     /realms/{realm}/account/devices/{sid}/sign-out                  end one
//	GET      /resources/login/{theme}/{file}                                 the theme's stylesheet and scripts
//
// The account pages' paths do not collide with the account API's JSON
// routes (/account, /account/credentials/password, /account/sessions,
// /account/mfa), which stay where they are.
func (h *Handler) MountPublic(r chi.Router) {
	const realm = "/realms/{realm}"
	const oidc = realm + "/protocol/openid-connect"
	r.Get(oidc+"/auth", h.authorize)
	r.Post(oidc+"/auth", h.authorize)
	r.Get(oidc+"/logout", h.logout)
	r.Post(oidc+"/logout", h.logout)

	const login = realm + "/login-actions"
	r.Get(login+"/"+stepLogin, h.loginPage)
	r.Post(login+"/"+stepLogin, h.login)
	r.Get(login+"/"+stepOTP, h.otpPage)
	r.Post(login+"/"+stepOTP, h.otp)
	r.Get(login+"/"+stepAction, h.actionPage)
	r.Post(login+"/"+stepAction, h.action)
	r.Get(login+"/"+stepRegister, h.registerPage)
	r.Post(login+"/"+stepRegister, h.register)
	r.Post(login+"/restart", h.restart)

	const account = realm + "/account"
	r.Get(account+"/profile", h.profilePage)
	r.Post(account+"/profile", h.profile)
	r.Get(account+"/password", h.passwordPage)
	r.Post(account+"/password", h.password)
	r.Get(account+"/security", h.securityPage)
	r.Post(account+"/security/totp", h.startTOTP)
	r.Post(account+"/security/totp/confirm", h.confirmTOTP)
	r.Post(account+"/security/recovery-codes", h.recoveryCodes)
	r.Post(account+"/security/{factorId}/delete", h.deleteFactor)
	r.Get(account+"/devices", h.devicesPage)
	r.Post(account+"/devices/{sid}/sign-out", h.signOutSession)

	r.Get("/resources/login/{theme}/{file}", h.resource)
}

// resource serves a theme's resource file.
func (h *Handler) resource(w http.ResponseWriter, r *http.Request) {
	h.themes.serveResource(w, r, chi.URLParam(r, "theme"), chi.URLParam(r, "file"))
}

// ServeHTTP serves the routes of MountPublic (for tests and for mounting
// the sign-in on its own).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := chi.NewRouter()
	h.MountPublic(rt)
	rt.ServeHTTP(w, r)
}
