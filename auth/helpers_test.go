package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

const issuerBase = "https://id.example.com"

// clock is a settable time source shared by the service and the stores.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// eventLog records published events.
type eventLog struct {
	mu     sync.Mutex
	events []iam.Event
}

func (l *eventLog) Publish(_ context.Context, events ...iam.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, events...)
	return nil
}

func (l *eventLog) ofType(topic string) []iam.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []iam.Event
	for _, e := range l.events {
		if e.Type == topic {
			out = append(out, e)
		}
	}
	return out
}

// env is a Service over a Directory and memory stores, with a fake clock.
type env struct {
	t      testing.TB
	dir    *authtest.Directory
	svc    *auth.Service
	tokens *authmem.Store
	keys   *authmem.KeyStore
	clock  *clock
	events *eventLog
}

var alice = users.User{ID: "u-alice", Realm: "acme", Username: "alice", Email: "alice@example.com",
	EmailVerified: true, FirstName: "Alice", LastName: "Liddell", Enabled: true}

// newEnv returns an env with realm acme (brute force: 3 failures, 1 minute
// increments) and realm other, and the clients svc, app, spa, plain, none
// and the user alice.
func newEnv(t testing.TB, opts ...auth.Option) *env {
	t.Helper()
	e := &env{t: t, dir: authtest.NewDirectory(), clock: &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		keys: authmem.NewKeyStore(), events: &eventLog{}}
	e.tokens = authmem.New(authmem.WithClock(e.clock.Now))
	for _, name := range []iam.Realm{"acme", "other"} {
		e.dir.PutRealm(realms.Realm{Name: name, Enabled: true, AccessTokenLifespan: 5 * time.Minute,
			SSOSessionIdleTimeout: 30 * time.Minute, SSOSessionMaxLifespan: 10 * time.Hour,
			AccessCodeLifespan: time.Minute, SigningAlgorithm: realms.AlgES256,
			BruteForce: realms.BruteForce{Enabled: true, FailureFactor: 3, WaitIncrement: time.Minute,
				MaxWait: 15 * time.Minute, ResetAfter: 12 * time.Hour}})
		e.dir.PutClient(clients.Client{ID: "c-svc-" + string(name), Realm: name, ClientID: "svc", Enabled: true,
			ServiceAccountsEnabled: true}, "svc-secret")
	}
	e.dir.PutClient(clients.Client{ID: "c-app", Realm: "acme", ClientID: "app", Enabled: true,
		DirectAccessGrantsEnabled: true, StandardFlowEnabled: true, RedirectURIs: []string{"https://app/cb"}}, "app-secret")
	e.dir.PutClient(clients.Client{ID: "c-app2", Realm: "acme", ClientID: "app2", Enabled: true,
		DirectAccessGrantsEnabled: true, StandardFlowEnabled: true}, "app2-secret")
	e.dir.PutClient(clients.Client{ID: "c-spa", Realm: "acme", ClientID: "spa", Enabled: true, PublicClient: true,
		StandardFlowEnabled: true, DirectAccessGrantsEnabled: true}, "")
	e.dir.PutClient(clients.Client{ID: "c-plain", Realm: "acme", ClientID: "plain", Enabled: true,
		StandardFlowEnabled: true, Attributes: map[string]string{clients.AttrPKCEMethod: "plain"}}, "plain-secret")
	e.dir.PutClient(clients.Client{ID: "c-none", Realm: "acme", ClientID: "none", Enabled: true}, "none-secret")
	e.dir.PutUser(alice, "alice-password")
	e.dir.SetRoles("acme", alice.ID, []string{"user"}, map[string][]string{"app": {"viewer"}, "api": {"reader"}})
	all := append([]auth.Option{auth.WithClock(e.clock.Now), auth.WithPublisher(e.events)}, opts...)
	svc, err := e.dir.NewService(issuerBase, e.keys, e.tokens, all...)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) token(req auth.TokenRequest) (*auth.Tokens, error) {
	e.t.Helper()
	if req.Realm == "" {
		req.Realm = "acme"
	}
	return e.svc.Token(context.Background(), req)
}

func (e *env) mustToken(req auth.TokenRequest) *auth.Tokens {
	e.t.Helper()
	tok, err := e.token(req)
	if err != nil {
		e.t.Fatalf("Token(%s): %v", req.GrantType, err)
	}
	return tok
}

func (e *env) passwordLogin(scope string) *auth.Tokens {
	e.t.Helper()
	return e.mustToken(auth.TokenRequest{GrantType: auth.GrantPassword, Scope: scope,
		Client:   auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password", IP: "192.0.2.1"})
}

func (e *env) introspect(token string) *auth.Introspection {
	e.t.Helper()
	in, err := e.svc.Introspect(context.Background(), auth.TokenRequestBase{Realm: "acme",
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Token: token})
	if err != nil {
		e.t.Fatalf("Introspect: %v", err)
	}
	return in
}

// wantOAuth fails unless err carries OAuth error code.
func wantOAuth(t *testing.T, err error, code string) {
	t.Helper()
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != code {
		t.Fatalf("error = %v, want OAuth %q", err, code)
	}
}

// jwtPart decodes part i (0 header, 1 payload) of a JWT into a map.
func jwtPart(t testing.TB, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func clientWithStandardFlow(realm iam.Realm) clients.Client {
	return clients.Client{ID: "c-web-" + string(realm), Realm: realm, ClientID: "web", Enabled: true, StandardFlowEnabled: true}
}
