package mfahttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
)

// Handler serves the MFA API over a *mfa.Service. Its routes are listed in
// routes.go.
type Handler struct {
	svc          *mfa.Service
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithServiceToken sets the shared secret that callers of /internal routes
// must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN). Without it,
// every /internal request is refused.
func WithServiceToken(token string) Option { return func(h *Handler) { h.serviceToken = token } }

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard.
func WithAdminGuard(g *iamhttp.AdminGuard) Option { return func(h *Handler) { h.admin = g } }

// NewHandler returns the MFA API over svc.
func NewHandler(svc *mfa.Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, admin: iamhttp.NewAdminGuard(nil)}
	for _, o := range opts {
		o(h)
	}
	h.router = chi.NewRouter()
	h.Mount(h.router)
	return h
}

// ServeHTTP serves the routes of Mount.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// secret writes v as JSON that must not be cached: it carries a secret.
func secret(w http.ResponseWriter, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	iamhttp.JSON(w, http.StatusOK, v)
}

func (h *Handler) accountFactors(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return
	}
	list, err := h.svc.Factors(r.Context(), realm, p.Subject)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, factorList{Factors: toFactors(list)})
}

// startRequest is the body of POST .../mfa/totp (it may be empty).
type startRequest struct {
	UserLabel string `json:"userLabel,omitempty"`
}

func (h *Handler) startTOTP(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return
	}
	var in startRequest
	if r.ContentLength != 0 {
		if err := iamhttp.Decode(w, r, &in); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
	}
	e, err := h.svc.StartTOTP(r.Context(), realm, p.Subject, p.Username, in.UserLabel)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	secret(w, toEnrolment(e))
}

// confirmRequest is the body of POST .../mfa/totp/confirm.
type confirmRequest struct {
	FactorID string `json:"factorId"`
	Code     string `json:"code"`
}

func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return
	}
	var in confirmRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if in.FactorID == "" {
		iamhttp.Error(w, r, iam.Invalidf("factorId", "factorId is required"))
		return
	}
	if in.Code == "" {
		iamhttp.Error(w, r, iam.Invalidf("code", "code is required"))
		return
	}
	f, err := h.svc.ConfirmTOTP(r.Context(), realm, p.Subject, in.FactorID, in.Code)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, toFactor(f))
}

func (h *Handler) deleteOwnFactor(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return
	}
	if err := h.svc.DeleteFactor(r.Context(), realm, p.Subject, chi.URLParam(r, "factorId")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// recoveryCodesAnswer carries a new set of recovery codes, shown once.
type recoveryCodesAnswer struct {
	Codes []string `json:"codes"`
}

func (h *Handler) recoveryCodes(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return
	}
	codes, err := h.svc.RegenerateRecoveryCodes(r.Context(), realm, p.Subject)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	secret(w, recoveryCodesAnswer{Codes: codes})
}

// pathUser returns the {realm} (authorized by the admin guard, or by the
// service token) and {id} of a route.
func pathUser(w http.ResponseWriter, r *http.Request) (iam.Realm, string, bool) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return "", "", false
	}
	return realm, chi.URLParam(r, "id"), true
}

func (h *Handler) adminFactors(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	list, err := h.svc.Factors(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, factorList{Factors: toFactors(list)})
}

func (h *Handler) lockout(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	st, err := h.svc.Status(r.Context(), realm, id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rep := lockoutRepresentation{NumFailures: st.NumFailures, Disabled: st.Locked}
	if !st.LastFailure.IsZero() {
		rep.LastFailure = st.LastFailure.UnixMilli()
	}
	iamhttp.JSON(w, http.StatusOK, rep)
}

func (h *Handler) clearLockout(w http.ResponseWriter, r *http.Request) {
	realm, id, ok := pathUser(w, r)
	if !ok {
		return
	}
	if err := h.svc.ClearFailures(r.Context(), realm, id); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
