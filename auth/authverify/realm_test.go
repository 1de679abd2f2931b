package authverify_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// accepted reports, per verifier, whether it accepts token.
func (is *issuer) accepted(token string) map[string]bool {
	is.t.Helper()
	out := map[string]bool{}
	for _, o := range is.verifyAll(token) {
		out[o.verifier] = o.refused == ""
	}
	return out
}

func (is *issuer) wantAll(token string, want bool, when string) {
	is.t.Helper()
	for verifier, ok := range is.accepted(token) {
		if ok != want {
			is.t.Errorf("%s: %s accepted = %v, want %v", when, verifier, ok, want)
		}
	}
}

func realmEvent(t *testing.T, topic string, data any) iam.Event {
	t.Helper()
	e, err := iam.NewEvent(realms.Source, topic, "acme", "acme", data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTokensDieWithTheirRealm(t *testing.T) {
	is := newIssuer(t)
	ctx := context.Background()
	old := is.login()
	is.wantAll(old, true, "before the deletion")

	// realm.deleted reaches the HTTP verifier while the issuer still
	// serves the deleted realm's keys and id (its own consumer lags): the
	// verifier refuses the deleted realm's tokens anyway.
	if err := is.remote.HandleEvent(ctx, realmEvent(t, iam.TopicRealmDeleted, realms.DeletedEvent{Name: "acme", ID: "id-of-acme"})); err != nil {
		t.Fatal(err)
	}
	if _, err := is.remote.Verify(ctx, old); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("HTTP verifier after realm.deleted: %v, want unauthenticated", err)
	}

	// The realm is created again under its name, with another id; the
	// issuer has not deleted the old keys yet. Every verifier refuses the
	// old token at once: auth and the local verifier read the realm's
	// current id, the HTTP verifier remembers the deleted one.
	is.dir.PutRealm(realms.Realm{Name: "acme", ID: "id-of-acme-2", Enabled: true, SigningAlgorithm: realms.AlgRS256,
		AccessTokenLifespan: 5 * time.Minute})
	is.wantAll(old, false, "after the realm was created again")

	// realm.created drops the HTTP verifier's cached keys: tokens of the
	// new realm work everywhere, old ones still nowhere.
	if err := is.remote.HandleEvent(ctx, realmEvent(t, iam.TopicRealmCreated, realms.CreatedEvent{Name: "acme", ID: "id-of-acme-2"})); err != nil {
		t.Fatal(err)
	}
	fresh := is.login()
	is.wantAll(fresh, true, "a token of the new realm")
	is.wantAll(old, false, "the old token, later")
}

func TestHTTPVerifierLearnsTheRealmIDFromTheJWKS(t *testing.T) {
	is := newIssuer(t)
	ctx := context.Background()
	old := is.login()
	if _, err := is.remote.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Without any event, a key refresh (here forced by invalidation) brings
	// the realm's new id with the keys.
	is.dir.PutRealm(realms.Realm{Name: "acme", ID: "id-of-acme-2", Enabled: true, SigningAlgorithm: realms.AlgRS256,
		AccessTokenLifespan: 5 * time.Minute})
	is.remote.Invalidate("acme")
	if _, err := is.remote.Verify(ctx, old); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("old token after the JWKS changed realm id: %v, want unauthenticated", err)
	}
	if _, err := is.remote.Verify(ctx, is.login()); err != nil {
		t.Fatalf("token of the new realm: %v", err)
	}
}

func TestMalformedRealmEventIsInvalid(t *testing.T) {
	is := newIssuer(t)
	e := realmEvent(t, iam.TopicRealmDeleted, realms.DeletedEvent{Name: "acme"})
	e.Data = []byte(`{"id": 42}`)
	if err := is.remote.HandleEvent(context.Background(), e); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("HandleEvent = %v, want invalid", err)
	}
}
