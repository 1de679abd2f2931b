package authhttp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// server is auth's HTTP API on a loopback listener, over a Directory and
// memory stores.
type server struct {
	t      testing.TB
	url    string
	dir    *authtest.Directory
	svc    *auth.Service
	tokens *authmem.Store

	mu        sync.Mutex
	principal *iam.Principal // put in every request's context when set
}

func (s *server) setPrincipal(p *iam.Principal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.principal = p
}

var alice = users.User{ID: "u-alice", Realm: "acme", Username: "alice", Email: "alice@example.com",
	EmailVerified: true, FirstName: "Alice", LastName: "Liddell", Enabled: true}

// newServer serves realms acme (signing with alg) and other, the
// confidential clients svc (service account), app (password and code flow)
// with secret "app secret:+%" (characters basic auth must form-encode), the
// public client spa, and the user alice.
func newServer(t testing.TB, alg string, opts ...auth.Option) *server {
	t.Helper()
	s := &server{t: t, dir: authtest.NewDirectory(), tokens: authmem.New()}
	for _, name := range []iam.Realm{"acme", "other"} {
		s.dir.PutRealm(realms.Realm{Name: name, Enabled: true, SigningAlgorithm: alg, AccessTokenLifespan: 5 * time.Minute,
			BruteForce: realms.BruteForce{Enabled: true, FailureFactor: 3}})
		s.dir.PutClient(clients.Client{ID: "c-svc-" + string(name), Realm: name, ClientID: "svc", Enabled: true,
			ServiceAccountsEnabled: true}, "svc-secret")
	}
	s.dir.PutClient(clients.Client{ID: "c-app", Realm: "acme", ClientID: "app", Enabled: true,
		DirectAccessGrantsEnabled: true, StandardFlowEnabled: true}, "app secret:+%")
	s.dir.PutClient(clients.Client{ID: "c-spa", Realm: "acme", ClientID: "spa", Enabled: true, PublicClient: true,
		StandardFlowEnabled: true, DirectAccessGrantsEnabled: true}, "")
	s.dir.PutUser(alice, "alice-password")
	s.dir.SetRoles("acme", alice.ID, []string{"user", "realm-admin"}, map[string][]string{"api": {"reader"}})

	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		p := s.principal
		s.mu.Unlock()
		if p != nil {
			r = r.WithContext(iam.WithPrincipal(r.Context(), p))
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	svc, err := s.dir.NewService(srv.URL, authmem.NewKeyStore(), s.tokens, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.svc = svc
	handler = authhttp.NewHandler(svc)
	return s
}

func (s *server) oidc(realm, path string) string {
	return s.url + "/realms/" + realm + "/protocol/openid-connect" + path
}

// response is a decoded JSON answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (s *server) do(req *http.Request) response {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(raw, &out.body)
	}
	return out
}

// post sends form to url; with user set it authenticates with basic auth.
func (s *server) post(u string, form url.Values, user, password string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	}
	return s.do(req)
}

func (s *server) get(u, bearer string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return s.do(req)
}

// passwordLogin logs alice in through app with client_secret_post.
func (s *server) passwordLogin(scope string) response {
	s.t.Helper()
	r := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"password"}, "client_id": {"app"},
		"client_secret": {"app secret:+%"}, "username": {"alice"}, "password": {"alice-password"}, "scope": {scope}}, "", "")
	if r.status != http.StatusOK {
		s.t.Fatalf("password login: %d %s", r.status, r.raw)
	}
	return r
}

func (r response) str(k string) string {
	v, _ := r.body[k].(string)
	return v
}
