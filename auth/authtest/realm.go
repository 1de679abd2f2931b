package authtest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// The cases below check RevokeUserSessions' keep: a user who changes their
// own password keeps the session they did it from, and only that one.

func tokenKeptSessionStaysAliveAndRecorded(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	for _, rt := range []auth.RefreshToken{
		sampleRefresh("acme", "h1", "f1", "s1"),
		sampleRefresh("acme", "h2", "f2", "s2"),
	} {
		if err := s.SaveRefresh(ctx, rt, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	sids, err := s.RevokeUserSessions(ctx, "acme", "u1", "s2", time.Hour)
	if err != nil || !reflect.DeepEqual(sids, []string{"s1"}) {
		t.Fatalf("revoked = %v, %v; want [s1]", sids, err)
	}
	for h, want := range map[string]bool{"h1": true, "h2": false} {
		if got, _ := s.GetRefresh(ctx, "acme", h); got.Revoked != want {
			t.Errorf("%s revoked = %v, want %v", h, got.Revoked, want)
		}
	}
	if revoked, _ := s.AccessTokenRevoked(ctx, "acme", "j", "s2", time.Now()); revoked {
		t.Error("access tokens of the kept session are revoked")
	}
	// The kept session is still the user's: a later revocation of
	// every session ends it too.
	sids, err = s.RevokeUserSessions(ctx, "acme", "u1", "", time.Hour)
	if err != nil || !reflect.DeepEqual(sids, []string{"s2"}) {
		t.Fatalf("second revocation = %v, %v; want [s2]", sids, err)
	}
	if got, _ := s.GetRefresh(ctx, "acme", "h2"); !got.Revoked {
		t.Error("kept session was forgotten: its token survived a later revocation")
	}
}

// The cases below check that nothing of a deleted realm survives it, and
// that other realms keep theirs.

func tokenDeleteRealmForgetsEveryRecordOfTheRealmOnly(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	now := ms(time.Now())
	for _, realm := range []iam.Realm{"acme", "other"} {
		if err := s.SaveCode(ctx, sampleCode(realm, "c1"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveRefresh(ctx, sampleRefresh(realm, "h1", "f1", "s1"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAccessToken(ctx, realm, "j1", time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordLoginFailure(ctx, realm, "user:u1", "10.0.0.1", now, 0, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteRealm(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRealm(ctx, "acme"); err != nil {
		t.Fatalf("second DeleteRealm: %v", err)
	}

	if _, err := s.GetRefresh(ctx, "acme", "h1"); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("refresh token survived: %v", err)
	}
	if _, err := s.ConsumeCode(ctx, "acme", "c1", auth.CodeRedemption{}, time.Hour); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("code survived: %v", err)
	}
	if lf, err := s.LoginFailures(ctx, "acme", "user:u1"); err != nil || lf.NumFailures != 0 {
		t.Errorf("failures survived: %+v, %v", lf, err)
	}
	if sids, err := s.RevokeUserSessions(ctx, "acme", "u1", "", time.Hour); err != nil || len(sids) != 0 {
		t.Errorf("user's sessions survived: %v, %v", sids, err)
	}

	if _, err := s.GetRefresh(ctx, "other", "h1"); err != nil {
		t.Errorf("other realm's refresh token: %v", err)
	}
	if revoked, err := s.AccessTokenRevoked(ctx, "other", "j1", "", time.Now()); err != nil || !revoked {
		t.Errorf("other realm's revocation = %v, %v", revoked, err)
	}
	if lf, _ := s.LoginFailures(ctx, "other", "user:u1"); lf.NumFailures != 1 {
		t.Errorf("other realm's failures = %+v", lf)
	}
}

// revoked reports whether s refuses a token of realm issued at issuedAt.
func revoked(t *testing.T, s auth.TokenStore, realm iam.Realm, issuedAt time.Time) bool {
	t.Helper()
	got, err := s.AccessTokenRevoked(context.Background(), realm, "j-"+iam.NewID(), "", issuedAt)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The cases below check the revocation epoch: tokens issued before the store's
// revocation state began are refused, since the store cannot know whether
// they were revoked.

func tokenTokensIssuedSinceTheEpochAreAccepted(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	if err := s.EnsureEpoch(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureEpoch(ctx, "acme"); err != nil { // idempotent
		t.Fatal(err)
	}
	if revoked(t, s, "acme", time.Now()) {
		t.Fatal("a token issued now is refused")
	}
}

func tokenTokensIssuedBeforeTheEpochAreRefused(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	if err := s.EnsureEpoch(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if !revoked(t, s, "acme", time.Now().Add(-time.Hour)) {
		t.Fatal("a token issued an hour before the epoch is accepted")
	}
}

func tokenAMissingEpochMeansLostStateAndRefusesOlderTokens(t *testing.T, h TokenStoreHarness) {
	s := h.Store
	// No token was issued through this store: whatever was revoked
	// before is unknown to it.
	if !revoked(t, s, "acme", time.Now().Add(-time.Hour)) {
		t.Fatal("a token older than the store's state is accepted")
	}
	if revoked(t, s, "acme", time.Now()) {
		t.Fatal("the epoch recorded on the check refuses new tokens")
	}
}

func tokenDeleteRealmStartsANewEpoch(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	for _, realm := range []iam.Realm{"acme", "other"} {
		if err := s.EnsureEpoch(ctx, realm); err != nil {
			t.Fatal(err)
		}
	}
	issued := time.Now()
	if revoked(t, s, "acme", issued) {
		t.Fatal("a token issued after the epoch is refused")
	}
	// Epochs have whole-second precision: the new one must be a later
	// second than issued.
	time.Sleep(1500 * time.Millisecond)
	if err := s.DeleteRealm(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if !revoked(t, s, "acme", issued) {
		t.Fatal("a token issued before the realm's deletion is accepted")
	}
	if revoked(t, s, "other", issued) {
		t.Fatal("another realm's epoch moved")
	}
}
