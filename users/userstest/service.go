package userstest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/pbkdf2"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// tokenSpy is a Store that remembers the events passed to CreateToken, so
// tests can read the links a Service mails.
type tokenSpy struct {
	users.Store
	links  *iamcrypto.Sealer
	mu     sync.Mutex
	events []iam.Event
}

func (s *tokenSpy) CreateToken(ctx context.Context, t users.ActionToken, events ...iam.Event) error {
	s.mu.Lock()
	s.events = append(s.events, events...)
	s.mu.Unlock()
	return s.Store.CreateToken(ctx, t, events...)
}

// lastKey returns the key in the link of the last event of topic.
func (s *tokenSpy) lastKey(t *testing.T, topic string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.events) - 1; i >= 0; i-- {
		if s.events[i].Type != topic {
			continue
		}
		_, key := ActionKey(t, s.links, s.events[i])
		return key
	}
	t.Fatalf("no %s event", topic)
	return ""
}

// setup returns a Service over h's store (watched by a tokenSpy) with the
// realms acme and other.
func setup(t *testing.T, h Harness) (*users.Service, *tokenSpy, *Realms) {
	spy := &tokenSpy{Store: h.Store, links: NewLinkSealer(t)}
	rs := NewRealms(Realm("acme"), Realm("other"))
	return users.New(spy, rs, users.WithParams(FastParams), users.WithLinkSealer(spy.links),
		users.WithResetRunner(func(work func()) { work() })), spy, rs
}

func testServiceAuthenticatesByUsernameOrEmail(t *testing.T, h Harness) {
	svc, _, _ := setup(t, h)
	_, err := svc.Create(ctx(t), "acme", users.User{Username: "Alice", Email: "Alice@Example.com", Enabled: true},
		users.NewCredential{Value: "s3cret-pass"})
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"alice", "ALICE", "alice@example.com"} {
		if u, err := svc.Authenticate(ctx(t), "acme", login, "s3cret-pass"); err != nil || u.Username != "alice" {
			t.Fatalf("Authenticate(%q) = %+v, %v", login, u, err)
		}
	}
	_, err = svc.Authenticate(ctx(t), "acme", "alice", "wrong")
	if !errors.Is(err, iam.ErrUnauthenticated) || !errors.Is(err, users.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	_, err = svc.Authenticate(ctx(t), "other", "alice", "s3cret-pass")
	if !errors.Is(err, users.ErrUnknownUser) {
		t.Fatalf("other realm: %v", err)
	}
}

func testServiceRehashesBelowCurrentParametersOnLogin(t *testing.T, h Harness) {
	svc, spy, rs := setup(t, h)
	u, err := svc.Create(ctx(t), "acme", users.User{Username: "alice", Enabled: true}, users.NewCredential{Value: "pw-123456"})
	if err != nil {
		t.Fatal(err)
	}
	stronger := Realm("acme")
	stronger.PasswordPolicy.HashIterations = 2
	rs.Put(stronger)
	if _, err := svc.Authenticate(ctx(t), "acme", "alice", "pw-123456"); err != nil {
		t.Fatal(err)
	}
	c, err := spy.GetPassword(ctx(t), "acme", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := password.Decode(c.Hash)
	if err != nil || d.Argon2.Iterations != 2 {
		t.Fatalf("hash after login = %+v, %v; want t=2", d.Argon2, err)
	}
	if _, err := svc.Authenticate(ctx(t), "acme", "alice", "pw-123456"); err != nil {
		t.Fatalf("login after rehash: %v", err)
	}
}

func testServiceImportedPBKDF2HashLogsInAndBecomesArgon2id(t *testing.T, h Harness) {
	svc, spy, _ := setup(t, h)
	salt := []byte("0123456789abcdef")
	kc := password.KeycloakCredential{Algorithm: password.KeycloakPBKDF2SHA256, Iterations: 1000, Salt: salt,
		Value: base64.StdEncoding.EncodeToString(pbkdf2.Key([]byte("old-password"), salt, 1000, 32, sha256.New))}
	encoded, err := kc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Import(ctx(t), "acme", users.ImportFail, []users.ImportUser{{
		User: users.User{Username: "migrated", Enabled: true}, Credentials: []users.NewCredential{{Hash: encoded}}}})
	if err != nil || res.Added != 1 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	u, err := svc.Authenticate(ctx(t), "acme", "migrated", "old-password")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := spy.GetPassword(ctx(t), "acme", u.ID)
	if !strings.HasPrefix(c.Hash, "$argon2id$") {
		t.Fatalf("hash after login is %.14s…, want argon2id", c.Hash)
	}
}

func testServicePasswordResetFlow(t *testing.T, h Harness) {
	svc, spy, _ := setup(t, h)
	u, err := svc.Create(ctx(t), "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true},
		users.NewCredential{Value: "old-password"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RequestPasswordReset(ctx(t), "acme", "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	key := spy.lastKey(t, iam.TopicUserPasswordResetRequested)
	if err := svc.ResetPassword(ctx(t), "acme", key, "new-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx(t), "acme", "alice", "new-password"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	wantCode(t, svc.ResetPassword(ctx(t), "acme", key, "third-password"), iam.CodeInvalid)
	if _, err := svc.Get(ctx(t), "acme", u.ID); err != nil {
		t.Fatal(err)
	}
}

func testServiceVerifyEmailFlow(t *testing.T, h Harness) {
	svc, spy, _ := setup(t, h)
	u, err := svc.Create(ctx(t), "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true,
		RequiredActions: []string{users.ActionVerifyEmail}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SendVerifyEmail(ctx(t), "acme", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	key := spy.lastKey(t, iam.TopicUserVerifyEmailRequested)
	_, err = svc.VerifyEmail(ctx(t), "other", key)
	wantCode(t, err, iam.CodeInvalid)
	got, err := svc.VerifyEmail(ctx(t), "acme", key)
	if err != nil || !got.EmailVerified || len(got.RequiredActions) != 0 {
		t.Fatalf("VerifyEmail = %+v, %v", got, err)
	}
	stored, _ := svc.Get(ctx(t), "acme", u.ID)
	if !stored.EmailVerified {
		t.Fatal("email not verified in the store")
	}
	_, err = svc.VerifyEmail(ctx(t), "acme", key)
	wantCode(t, err, iam.CodeInvalid)
}

func testServiceDeletedRealmDeletesUsers(t *testing.T, h Harness) {
	svc, _, _ := setup(t, h)
	u, err := svc.Create(ctx(t), "acme", users.User{Username: "alice", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	for range 2 { // redelivery is harmless
		if err := svc.HandleEvent(ctx(t), e); err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.Get(ctx(t), "acme", u.ID)
	wantCode(t, err, iam.CodeNotFound)
}
