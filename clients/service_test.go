package clients_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac"
)

// countingStore counts the reads that reach the store.
type countingStore struct {
	clients.Store
	mu    sync.Mutex
	reads int
}

func (s *countingStore) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (clients.Record, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.GetByClientID(ctx, realm, clientID)
}

func (s *countingStore) Get(ctx context.Context, realm iam.Realm, id string) (clients.Record, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.Get(ctx, realm, id)
}

func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

type fixture struct {
	svc   *clients.Service
	store *countingStore
	rec   *iamtest.Recorder
	mem   *clientsmem.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	rec := iamtest.NewRecorder()
	mem := clientsmem.New(rec)
	store := &countingStore{Store: mem}
	return &fixture{svc: clients.New(store), store: store, rec: rec, mem: mem}
}

func (f *fixture) create(t *testing.T, c clients.Client, secret string) clients.Client {
	t.Helper()
	out, err := f.svc.Create(context.Background(), "acme", c, secret)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateGeneratesAHashedSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.create(t, validClient(), "")
	if c.ID == "" || c.Realm != "acme" || c.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", c)
	}
	secret, err := f.svc.Secret(ctx, "acme", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 43 { // 32 bytes, base64url
		t.Fatalf("generated secret %q is not 256 bits", secret)
	}
	stored, _ := f.mem.Get(ctx, "acme", c.ID)
	if stored.Secret != secret || stored.SecretHash == nil || string(stored.SecretHash) == string(iamcrypto.SHA256(secret)) {
		t.Fatalf("stored secret %q with verifier %x: want the secret and a keyed verifier, never its SHA-256", stored.Secret, stored.SecretHash)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", secret); err != nil {
		t.Fatalf("Authenticate with the generated secret: %v", err)
	}
	events := f.rec.Events(t)
	if len(events) != 1 || events[0].Type != iam.TopicClientCreated || events[0].Subject != c.ID {
		t.Fatalf("events = %+v", events)
	}
	if strings.Contains(string(events[0].Data), secret) {
		t.Fatal("event carries the secret")
	}
	var data clients.CreatedEvent
	if err := events[0].Decode(&data); err != nil || data.ID != c.ID || data.ClientID != "web" {
		t.Fatalf("event data = %+v, %v", data, err)
	}
}

func TestCreateWithGivenSecretAndID(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := validClient()
	in.ID = "0190a6c4-7b8a-7cde-8f00-0123456789ab"
	c := f.create(t, in, "a-given-secret-of-enough-length")
	if c.ID != in.ID {
		t.Fatalf("id = %s", c.ID)
	}
	if s, _ := f.svc.Secret(ctx, "acme", c.ID); s != "a-given-secret-of-enough-length" {
		t.Fatalf("secret = %q", s)
	}
}

func TestCreateRejects(t *testing.T) {
	tests := []struct {
		name   string
		client func() clients.Client
		secret string
		field  string
	}{
		{"PublicClientWithSecret", func() clients.Client { c := validClient(); c.PublicClient = true; return c }, "a-given-secret-of-enough-length", "secret"},
		{"ShortSecret", validClient, "short", "secret"},
		{"MalformedID", func() clients.Client { c := validClient(); c.ID = "not-a-uuid"; return c }, "", "id"},
		{"UppercaseID", func() clients.Client { c := validClient(); c.ID = "0190A6C4-7B8A-7CDE-8F00-0123456789AB"; return c }, "", "id"},
		{"BadRedirect", func() clients.Client { c := validClient(); c.RedirectURIs = []string{"https://x.test/#f"}; return c }, "", "redirectUris"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Create(context.Background(), "acme", tt.client(), tt.secret)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Fatalf("err = %v, want invalid %s", err, tt.field)
			}
			if n := len(f.rec.Events(t)); n != 0 {
				t.Fatalf("%d events for a rejected create", n)
			}
		})
	}
	f := newFixture(t)
	f.create(t, validClient(), "")
	if _, err := f.svc.Create(context.Background(), "acme", validClient(), ""); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate clientId: %v", err)
	}
	if _, err := f.svc.Create(context.Background(), "Bad Realm", validClient(), ""); iam.ErrorField(err) != "realm" {
		t.Fatalf("bad realm: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	conf := f.create(t, validClient(), "the-right-secret-0123456789")
	pub := validClient()
	pub.ClientID, pub.PublicClient = "spa", true
	f.create(t, pub, "")
	off := validClient()
	off.ClientID, off.Enabled = "off", false
	f.create(t, off, "the-right-secret-0123456789")
	offPub := pub
	offPub.ClientID, offPub.Enabled = "off-spa", false
	f.create(t, offPub, "")

	tests := []struct {
		name, realm, clientID, secret string
		ok                            bool
	}{
		{"RightSecret", "acme", "web", "the-right-secret-0123456789", true},
		{"WrongSecret", "acme", "web", "the-wrong-secret-0123456789", false},
		{"SecretPrefix", "acme", "web", "the-right-secret", false},
		{"EmptySecret", "acme", "web", "", false},
		{"UnknownClient", "acme", "nobody", "the-right-secret-0123456789", false},
		{"OtherRealm", "beta", "web", "the-right-secret-0123456789", false},
		{"MalformedRealm", "Bad Realm", "web", "the-right-secret-0123456789", false},
		{"DisabledClient", "acme", "off", "the-right-secret-0123456789", false},
		{"PublicWithoutSecret", "acme", "spa", "", true},
		{"PublicSendingASecret", "acme", "spa", "anything", false},
		{"DisabledPublic", "acme", "off-spa", "", false},
	}
	var firstErr error
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second call is served from the cache
				c, err := f.svc.Authenticate(ctx, iam.Realm(tt.realm), tt.clientID, tt.secret)
				if tt.ok {
					if err != nil || c.ClientID != tt.clientID {
						t.Fatalf("Authenticate = %+v, %v", c.ClientID, err)
					}
					continue
				}
				if iam.ErrorCode(err) != iam.CodeUnauthenticated || c.ID != "" {
					t.Fatalf("Authenticate = %+v, %v; want unauthenticated", c.ID, err)
				}
				if firstErr == nil {
					firstErr = err
				}
				if iam.ErrorMessage(err) != iam.ErrorMessage(firstErr) || err.Error() != firstErr.Error() {
					t.Fatalf("failures differ: %q vs %q", err, firstErr)
				}
			}
		})
	}
	_ = conf
}

func TestAuthenticateIsCachedAndInvalidated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.create(t, validClient(), "the-first-secret-0123456789")
	for range 5 {
		if _, err := f.svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.store.count(); n != 1 {
		t.Fatalf("store read %d times for 5 authentications, want 1", n)
	}
	// Rotation: the old secret stops working at once, the new one works.
	secret, err := f.svc.RotateSecret(ctx, "acme", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("old secret after rotation: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", secret); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	if got, _ := f.svc.Secret(ctx, "acme", c.ID); got != secret {
		t.Fatal("Secret does not return the rotated secret")
	}
	// Disabling takes effect at once.
	no := false
	if _, err := f.svc.Update(ctx, "acme", c.ID, clients.Update{Enabled: &no}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", secret); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("disabled client authenticated: %v", err)
	}
	// Renaming: the old clientId is gone from the cache.
	yes, renamed := true, "web2"
	if _, err := f.svc.Update(ctx, "acme", c.ID, clients.Update{Enabled: &yes, ClientID: &renamed}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", secret); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("old clientId authenticated: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web2", secret); err != nil {
		t.Fatalf("new clientId: %v", err)
	}
	// Deleting.
	if err := f.svc.Delete(ctx, "acme", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web2", secret); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("deleted client authenticated: %v", err)
	}
	// A change by another replica (straight to the store) needs Invalidate.
	c2 := f.create(t, validClient(), "the-first-secret-0123456789")
	if _, err := f.svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mem.Update(ctx, "acme", c2.ID, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.Enabled = false
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
		t.Fatalf("cache bypassed: %v", err)
	}
	f.svc.Invalidate("acme", c2.ID)
	if _, err := f.svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("after Invalidate: %v", err)
	}
}

func TestPublicConfidentialSwitch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.create(t, validClient(), "")
	yes := true
	if _, err := f.svc.Update(ctx, "acme", c.ID, clients.Update{PublicClient: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Secret(ctx, "acme", c.ID); iam.ErrorField(err) != "publicClient" {
		t.Fatalf("public client's secret: %v", err)
	}
	if _, err := f.svc.RotateSecret(ctx, "acme", c.ID); iam.ErrorField(err) != "publicClient" {
		t.Fatalf("rotating a public client's secret: %v", err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", ""); err != nil {
		t.Fatalf("now public: %v", err)
	}
	no := false
	if _, err := f.svc.Update(ctx, "acme", c.ID, clients.Update{PublicClient: &no}); err != nil {
		t.Fatal(err)
	}
	secret, err := f.svc.Secret(ctx, "acme", c.ID)
	if err != nil || len(secret) != 43 {
		t.Fatalf("confidential again: secret %q, %v", secret, err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", "web", ""); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("confidential client without secret: %v", err)
	}
}

func TestUpdateIsPartialAndValidated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.create(t, validClient(), "")
	name := "Web App"
	got, err := f.svc.Update(ctx, "acme", c.ID, clients.Update{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Web App" || got.ClientID != "web" || len(got.RedirectURIs) != 1 || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("updated = %+v", got)
	}
	bad := []string{"https://app.test/*"}
	if _, err := f.svc.Update(ctx, "acme", c.ID, clients.Update{RedirectURIs: &bad, Name: &name}); iam.ErrorField(err) != "redirectUris" {
		t.Fatalf("invalid update: %v", err)
	}
	other := f.create(t, func() clients.Client { c := validClient(); c.ClientID = "other"; return c }(), "")
	taken := "web"
	if _, err := f.svc.Update(ctx, "acme", other.ID, clients.Update{ClientID: &taken}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("taken clientId: %v", err)
	}
	if _, err := f.svc.Update(ctx, "beta", c.ID, clients.Update{Name: &name}); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("other realm: %v", err)
	}
	events := f.rec.Events(t)
	if len(events) != 3 || events[1].Type != iam.TopicClientUpdated || events[2].Type != iam.TopicClientCreated {
		t.Fatalf("events: %d (failed updates must record none)", len(events))
	}
}

func TestListCapsPageSize(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		c := validClient()
		c.ClientID = id
		f.create(t, c, "")
	}
	got, err := f.svc.List(ctx, "acme", clients.Filter{First: 1, Max: 5000})
	if err != nil || len(got) != 2 {
		t.Fatalf("List = %d, %v", len(got), err)
	}
	if _, err := f.svc.List(ctx, "acme", clients.Filter{First: -1}); iam.ErrorField(err) != "first" {
		t.Fatalf("negative first: %v", err)
	}
}

func TestClientIDResolvesTheUUIDWithinTheRealm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.create(t, validClient(), "")
	got, err := f.svc.ClientID(ctx, "acme", c.ID)
	if err != nil || got != "web" {
		t.Fatalf("ClientID = %q, %v", got, err)
	}
	if _, err := f.svc.ClientID(ctx, "other", c.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("another realm: %v, want not_found", err)
	}
}

var _ rbac.ClientResolver = (*clients.Service)(nil)

// A Keycloak client's values OpenGate refuses are taken out and named; the
// client that remains is valid and keeps the rest.
func TestDropUnsupportedKeepsWhatOpenGateTakes(t *testing.T) {
	in := clients.Client{ClientID: "account", Enabled: true, StandardFlowEnabled: true,
		RootURL: "${authBaseUrl}", BaseURL: "/realms/acme/account/",
		RedirectURIs: []string{"/realms/acme/account/*", "https://app.test/cb", "https://app.test/*"},
		WebOrigins:   []string{"+", "*", "https://app.test"},
		Attributes: map[string]string{clients.AttrPKCEMethod: "plain", clients.AttrPostLogoutRedirectURIs: "+##https://app.test/*##https://app.test/bye",
			"other": "kept"}}
	out, dropped := clients.DropUnsupported(in)
	if err := out.Validate(); err != nil {
		t.Fatalf("what remains is invalid: %v", err)
	}
	if !slices.Equal(out.RedirectURIs, []string{"https://app.test/cb"}) || !slices.Equal(out.WebOrigins, []string{"+", "https://app.test"}) ||
		out.RootURL != "" || out.BaseURL != "/realms/acme/account/" || out.Attributes["other"] != "kept" ||
		out.Attributes[clients.AttrPostLogoutRedirectURIs] != "+##https://app.test/bye" {
		t.Fatalf("kept %+v", out)
	}
	if _, ok := out.Attributes[clients.AttrPKCEMethod]; ok {
		t.Fatal("PKCE plain kept")
	}
	var fields []string
	for _, d := range dropped {
		if d.Reason == "" {
			t.Errorf("%s %q dropped without a reason", d.Field, d.Value)
		}
		fields = append(fields, d.Field+"="+d.Value)
	}
	want := []string{"redirectUris=/realms/acme/account/*", "redirectUris=https://app.test/*", "webOrigins=*", "rootUrl=${authBaseUrl}",
		"attributes.post.logout.redirect.uris=https://app.test/*", "attributes.pkce.code.challenge.method=plain"}
	if !slices.Equal(fields, want) {
		t.Fatalf("dropped %q, want %q", fields, want)
	}
	if in.RedirectURIs[0] != "/realms/acme/account/*" {
		t.Fatal("the caller's client was changed")
	}
}
