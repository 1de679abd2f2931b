package usershttp

import (
	"html/template"
	"net"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// Handler serves the users admin API, the public login actions, the
// self-service account API and the internal API over a *users.Service. Its
// routes are listed in routes.go.
type Handler struct {
	svc          *users.Service
	clientIP     func(*http.Request) string
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
	pages        *template.Template
	accountPages string // issuer base of the account pages; "" for none
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithServiceToken sets the shared secret that callers of /internal routes
// must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN). Without it,
// every /internal request is refused with 401.
func WithServiceToken(token string) Option {
	return func(h *Handler) { h.serviceToken = token }
}

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard, with an iamhttp.Standing.
func WithAdminGuard(g *iamhttp.AdminGuard) Option {
	return func(h *Handler) { h.admin = g }
}

// WithClientIP sets how the caller's address is read from a request, for
// the per-address limit of password-reset requests (users.ResetLimits).
// The default is the host of RemoteAddr; behind the gateway or a reverse
// proxy use authhttp.TrustForwardedFor(proxies...), or every caller behind
// the proxy shares one limit.
func WithClientIP(fn func(*http.Request) string) Option {
	return func(h *Handler) { h.clientIP = fn }
}

// WithAccountPages redirects browsers that open GET /realms/{realm}/account
// (no bearer token, and an Accept header that prefers HTML, as a typed
// address or a link sends) to the account pages,
// {issuerBase}/realms/{realm}/account/profile (auth's browser sign-in).
// API clients — a token, or JSON accepted — get the account API as before.
func WithAccountPages(issuerBase string) Option {
	return func(h *Handler) { h.accountPages = strings.TrimSuffix(issuerBase, "/") }
}

// remoteIP returns the host part of r.RemoteAddr.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// NewHandler returns the users API over svc.
func NewHandler(svc *users.Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, clientIP: remoteIP, pages: newPages(), admin: iamhttp.NewAdminGuard(nil)}
	for _, o := range opts {
		o(h)
	}
	h.router = chi.NewRouter()
	h.Mount(h.router)
	return h
}

// ServeHTTP serves the routes of Mount.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.router.ServeHTTP(w, r)
}

// pathRealm returns the {realm} of an admin route (whose caller the admin
// guard authorized), rendering the error if it is malformed.
func pathRealm(w http.ResponseWriter, r *http.Request) (iam.Realm, bool) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return "", false
	}
	return realm, true
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	f, err := parseFilter(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, users.DefaultPageSize, users.MaxPageSize)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	f.First, f.Max = page.First, page.Max
	list, err := h.svc.List(r.Context(), realm, f)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]any, 0, len(list))
	for _, u := range list {
		out = append(out, userJSON(u))
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) count(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	f, err := parseFilter(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	n, err := h.svc.Count(r.Context(), realm, f)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, n)
}

// parseFilter reads Keycloak's user search parameters.
func parseFilter(r *http.Request) (users.Filter, error) {
	q := r.URL.Query()
	f := users.Filter{Search: q.Get("search"), Username: q.Get("username"), Email: q.Get("email"),
		FirstName: q.Get("firstName"), LastName: q.Get("lastName")}
	var err error
	if f.Enabled, err = iamhttp.Bool(r, "enabled"); err != nil {
		return users.Filter{}, err
	}
	if f.EmailVerified, err = iamhttp.Bool(r, "emailVerified"); err != nil {
		return users.Filter{}, err
	}
	exact, err := iamhttp.Bool(r, "exact")
	if err != nil {
		return users.Filter{}, err
	}
	f.Exact = exact != nil && *exact
	if s := q.Get("q"); s != "" {
		f.Attributes = map[string]string{}
		for _, pair := range strings.Fields(s) {
			k, v, ok := strings.Cut(pair, ":")
			if !ok || k == "" {
				return users.Filter{}, iam.Invalidf("q", "q must be space-separated key:value pairs")
			}
			f.Attributes[k] = v
		}
	}
	return f, nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	rep, extra, err := decodeUser(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	creds, err := newCredentials(rep.Credentials)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in := rep.toUser()
	in.Extra = extra
	u, err := h.svc.Create(r.Context(), realm, in, creds...)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.Created(w, r, u.ID)
}

// newCredentials converts incoming credentials.
func newCredentials(reps []CredentialRepresentation) ([]users.NewCredential, error) {
	out := make([]users.NewCredential, 0, len(reps))
	for _, c := range reps {
		nc, err := c.toNewCredential()
		if err != nil {
			return nil, err
		}
		out = append(out, nc)
	}
	return out, nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	u, err := h.svc.Get(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, userJSON(u))
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	rep, extra, err := decodeUser(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	if rep.ID != nil && *rep.ID != id {
		iamhttp.Error(w, r, iam.Invalidf("id", "id cannot be changed"))
		return
	}
	creds, err := newCredentials(rep.Credentials)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if len(creds) > 1 || (len(creds) == 1 && creds[0].Value == "") {
		iamhttp.Error(w, r, iam.Invalidf("credentials", "an update may carry one plaintext password; import hashes with POST"))
		return
	}
	patch := rep.toPatch()
	patch.Extra = extra
	if _, err := h.svc.Update(r.Context(), realm, id, patch); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if len(creds) == 1 {
		if err := h.svc.SetPassword(r.Context(), realm, id, creds[0].Value, creds[0].Temporary); err != nil {
			iamhttp.Error(w, r, err)
			return
		}
	}
	iamhttp.NoContent(w)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	if err := h.svc.Delete(r.Context(), realm, chi.URLParam(r, "id")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
