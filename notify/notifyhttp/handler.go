package notifyhttp

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
)

// Handler serves the notify API over a *notify.Service. Its routes are
// listed in routes.go.
type Handler struct {
	svc          *notify.Service
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithServiceToken sets the shared secret that callers of /internal routes
// must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN). Without
// it every /internal request is refused.
func WithServiceToken(token string) Option { return func(h *Handler) { h.serviceToken = token } }

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard, with an iamhttp.Standing.
func WithAdminGuard(g *iamhttp.AdminGuard) Option { return func(h *Handler) { h.admin = g } }

// NewHandler returns the notify API over svc.
func NewHandler(svc *notify.Service, opts ...Option) *Handler {
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

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, notify.DefaultListMax, notify.MaxListMax)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	f := notify.Filter{UserID: r.URL.Query().Get("user"), First: page.First, Max: page.Max}
	if s := r.URL.Query().Get("status"); s != "" {
		if f.Status, err = notify.ParseStatus(s); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
	}
	if k := r.URL.Query().Get("kind"); k != "" {
		if f.Kind, err = notify.ParseKind(k); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
	}
	list, err := h.svc.List(r.Context(), realm, f)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]NotificationRepresentation, 0, len(list))
	for _, d := range list {
		out = append(out, toRepresentation(d))
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	d, err := h.svc.Get(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, toRepresentation(d))
}

func (h *Handler) retry(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if _, err := h.svc.Retry(r.Context(), realm, chi.URLParam(r, "id")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// testSMTP is Keycloak's testSMTPConnection: the body is the smtpServer
// map to test (a "password" of "**********" meaning the stored one), or
// nothing (or {}) for the realm's stored settings.
func (h *Handler) testSMTP(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var m map[string]string
	if err := iamhttp.Decode(w, r, &m); err != nil && !errors.Is(err, io.EOF) {
		iamhttp.Error(w, r, err)
		return
	}
	var settings *realms.SMTP
	if len(m) > 0 {
		s, err := realmshttp.ParseSMTPServer(m)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		settings = &s
	}
	if err := h.svc.TestSMTP(r.Context(), realm, settings); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) templates(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	list, err := h.svc.Templates(r.Context(), realm)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]TemplateRepresentation, 0, len(list))
	for _, t := range list {
		out = append(out, toTemplate(notify.TemplateView{Template: t}))
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) template(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	t, err := h.svc.Template(r.Context(), realm, chi.URLParam(r, "kind"), chi.URLParam(r, "locale"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, toTemplate(t))
}

func (h *Handler) putTemplate(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in templateInput
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	_, err = h.svc.PutTemplate(r.Context(), realm, notify.Template{Kind: notify.Kind(chi.URLParam(r, "kind")),
		Locale: chi.URLParam(r, "locale"), Subject: in.Subject, HTML: in.HTML, Text: in.Text})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) deleteTemplate(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.DeleteTemplate(r.Context(), realm, chi.URLParam(r, "kind"), chi.URLParam(r, "locale")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// emailOTP is the internal endpoint behind Client.SendOTP. The code
// travels in the body only, never in a URL, and is not logged.
func (h *Handler) emailOTP(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var in otpRequest
	if err := iamhttp.Decode(w, r, &in); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	m := mfa.Message{Realm: realm, UserID: in.UserID, Channel: in.Channel, To: in.To, Code: in.Code}
	if in.ExpiresAt > 0 {
		m.ExpiresAt = time.UnixMilli(in.ExpiresAt).UTC()
	}
	if err := h.svc.SendOTP(r.Context(), m); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
