package authtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

func tokenNonPositiveTTLIsInvalid(t *testing.T, h TokenStoreHarness) {
	s := h.Store
	ctx := context.Background()
	for name, err := range map[string]error{
		"SaveCode":           s.SaveCode(ctx, sampleCode("acme", "h"), 0),
		"SaveRefresh":        s.SaveRefresh(ctx, sampleRefresh("acme", "h", "f", "s"), -time.Second),
		"RevokeFamily":       s.RevokeFamily(ctx, "acme", "f", 0),
		"RevokeSession":      s.RevokeSession(ctx, "acme", "s", 0),
		"RevokeAccessToken":  s.RevokeAccessToken(ctx, "acme", "j", 0),
		"RecordLoginFailure": second(s.RecordLoginFailure(ctx, "acme", "k", "ip", time.Now(), 0, 0)),
	} {
		if !errors.Is(err, iam.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// ms is a timestamp with millisecond precision, which every store keeps.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func sampleCode(realm iam.Realm, hash string) auth.AuthCode {
	now := ms(time.Now())
	return auth.AuthCode{Hash: hash, Realm: realm, ClientID: "app", RedirectURI: "https://app/cb?x=1",
		Scope: "openid profile", Nonce: "n", CodeChallenge: "c", CodeChallengeMethod: "S256",
		UserID: "u1", SessionID: "s1", AuthTime: now.Add(-time.Minute), SessionStarted: now.Add(-time.Hour),
		ExpiresAt: now.Add(time.Minute)}
}

func sampleRefresh(realm iam.Realm, hash, family, sid string) auth.RefreshToken {
	now := ms(time.Now())
	return auth.RefreshToken{Hash: hash, Realm: realm, Family: family, ClientID: "c-app", UserID: "u1",
		SessionID: sid, Scope: "openid", Nonce: "n", AuthTime: now.Add(-time.Minute),
		SessionStarted: now.Add(-time.Hour), IssuedAt: now, ExpiresAt: now.Add(30 * time.Minute)}
}

func codesEqual(a, b auth.AuthCode) bool {
	a.AuthTime, b.AuthTime = a.AuthTime.UTC(), b.AuthTime.UTC()
	a.SessionStarted, b.SessionStarted = a.SessionStarted.UTC(), b.SessionStarted.UTC()
	a.ExpiresAt, b.ExpiresAt = a.ExpiresAt.UTC(), b.ExpiresAt.UTC()
	if a.Redemption != nil {
		r := *a.Redemption
		r.AccessTokenExp = r.AccessTokenExp.UTC()
		a.Redemption = &r
	}
	if b.Redemption != nil {
		r := *b.Redemption
		r.AccessTokenExp = r.AccessTokenExp.UTC()
		b.Redemption = &r
	}
	return reflect.DeepEqual(a, b)
}

func refreshEqual(a, b auth.RefreshToken) bool {
	for _, p := range []*time.Time{&a.AuthTime, &a.SessionStarted, &a.IssuedAt, &a.ExpiresAt,
		&b.AuthTime, &b.SessionStarted, &b.IssuedAt, &b.ExpiresAt} {
		*p = p.UTC()
	}
	return reflect.DeepEqual(a, b)
}

func tokenFirstCodeRedemptionReturnsTheCode(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	use := auth.CodeRedemption{AccessTokenID: "jti-1", Family: "fam-1", AccessTokenExp: ms(time.Now().Add(5 * time.Minute))}
	s := h.Store
	c := sampleCode("acme", "h1")
	if err := s.SaveCode(ctx, c, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := s.ConsumeCode(ctx, "acme", "h1", use, time.Hour)
	if err != nil || !codesEqual(got, c) {
		t.Fatalf("ConsumeCode = %+v, %v\nwant %+v", got, err, c)
	}
}

func tokenLaterCodeRedemptionsReturnTheFirst(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	use := auth.CodeRedemption{AccessTokenID: "jti-1", Family: "fam-1", AccessTokenExp: ms(time.Now().Add(5 * time.Minute))}
	s := h.Store
	_ = s.SaveCode(ctx, sampleCode("acme", "h1"), time.Hour)
	_, _ = s.ConsumeCode(ctx, "acme", "h1", use, time.Hour)
	for i := 0; i < 2; i++ {
		got, err := s.ConsumeCode(ctx, "acme", "h1", auth.CodeRedemption{AccessTokenID: "other", Family: "other"}, time.Hour)
		if err != nil || got.Redemption == nil || got.Redemption.AccessTokenID != "jti-1" ||
			got.Redemption.Family != "fam-1" || !got.Redemption.AccessTokenExp.Equal(use.AccessTokenExp) {
			t.Fatalf("redemption %d = %+v, %v", i+2, got.Redemption, err)
		}
	}
}

func tokenConsumedCodeIsKeptForKeep(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	use := auth.CodeRedemption{AccessTokenID: "jti-1", Family: "fam-1", AccessTokenExp: ms(time.Now().Add(5 * time.Minute))}
	s := h.Store
	// The code lives 500 ms: long enough for the first redemption to find
	// it on a loaded machine (with 20 ms it had sometimes expired first),
	// short enough for the test.
	const ttl = 500 * time.Millisecond
	if err := s.SaveCode(ctx, sampleCode("acme", "h1"), ttl); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeCode(ctx, "acme", "h1", use, time.Hour); err != nil {
		t.Fatalf("first redemption: %v", err)
	}
	time.Sleep(ttl + 200*time.Millisecond)
	got, err := s.ConsumeCode(ctx, "acme", "h1", use, time.Hour)
	if err != nil || got.Redemption == nil {
		t.Fatalf("reuse after the code's ttl is not detected: %+v, %v", got, err)
	}
}

func tokenUnknownExpiredOrForeignCodeIsNotFound(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	use := auth.CodeRedemption{AccessTokenID: "jti-1", Family: "fam-1", AccessTokenExp: ms(time.Now().Add(5 * time.Minute))}
	s := h.Store
	_ = s.SaveCode(ctx, sampleCode("acme", "h1"), time.Hour)
	_ = s.SaveCode(ctx, sampleCode("acme", "short"), 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	for _, c := range []struct {
		realm iam.Realm
		hash  string
	}{{"acme", "nope"}, {"other", "h1"}, {"acme", "short"}} {
		if _, err := s.ConsumeCode(ctx, c.realm, c.hash, use, time.Hour); !errors.Is(err, iam.ErrNotFound) {
			t.Errorf("%s/%s: %v", c.realm, c.hash, err)
		}
	}
	// The foreign attempt did not consume it.
	if got, err := s.ConsumeCode(ctx, "acme", "h1", use, time.Hour); err != nil || got.Redemption != nil {
		t.Fatalf("ConsumeCode = %+v, %v", got, err)
	}
}

func tokenDuplicateCodeIsAConflict(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveCode(ctx, sampleCode("acme", "h1"), time.Hour)
	if err := s.SaveCode(ctx, sampleCode("acme", "h1"), time.Hour); !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
	if err := s.SaveCode(ctx, sampleCode("other", "h1"), time.Hour); err != nil {
		t.Fatalf("same hash in another realm: %v", err)
	}
}

func tokenConcurrentCodeRedemptionsHaveOneWinner(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveCode(ctx, sampleCode("acme", "h1"), time.Hour)
	const n = 10
	var wg sync.WaitGroup
	firsts := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.ConsumeCode(ctx, "acme", "h1", auth.CodeRedemption{AccessTokenID: fmt.Sprint(i), Family: "f"}, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if got.Redemption == nil {
				firsts <- fmt.Sprint(i)
			}
		}()
	}
	wg.Wait()
	close(firsts)
	if len(firsts) != 1 {
		t.Fatalf("%d first redemptions", len(firsts))
	}
}

func tokenSavedRefreshTokenRoundTrips(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	rt := sampleRefresh("acme", "h1", "f1", "s1")
	if err := s.SaveRefresh(ctx, rt, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRefresh(ctx, "acme", "h1")
	if err != nil || !refreshEqual(got, rt) {
		t.Fatalf("GetRefresh = %+v, %v\nwant %+v", got, err, rt)
	}
	if _, err := s.GetRefresh(ctx, "other", "h1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("other realm: %v", err)
	}
	if err := s.SaveRefresh(ctx, rt, time.Hour); !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
}

func tokenRefreshRotationMarksTheOldTokenAndStoresTheNext(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	old := sampleRefresh("acme", "h1", "f1", "s1")
	_ = s.SaveRefresh(ctx, old, time.Hour)
	next := sampleRefresh("acme", "h2", "f1", "s1")
	next.IssuedAt = next.IssuedAt.Add(time.Second)
	prev, err := s.RotateRefresh(ctx, "acme", "h1", next, time.Hour)
	if err != nil || prev.Rotated || prev.Revoked || !refreshEqual(prev, old) {
		t.Fatalf("RotateRefresh = %+v, %v", prev, err)
	}
	if got, err := s.GetRefresh(ctx, "acme", "h2"); err != nil || !refreshEqual(got, next) {
		t.Fatalf("next = %+v, %v", got, err)
	}
	if got, err := s.GetRefresh(ctx, "acme", "h1"); err != nil || !got.Rotated {
		t.Fatalf("old after rotation = %+v, %v", got, err)
	}
	// Rotating the old token again changes nothing and says so.
	again, err := s.RotateRefresh(ctx, "acme", "h1", sampleRefresh("acme", "h3", "f1", "s1"), time.Hour)
	if err != nil || !again.Rotated {
		t.Fatalf("second rotation = %+v, %v", again, err)
	}
	if _, err := s.GetRefresh(ctx, "acme", "h3"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("a refused rotation stored its token: %v", err)
	}
}

func tokenUnknownOrForeignRefreshTokenIsNotFound(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h1", "f1", "s1"), time.Hour)
	for _, realm := range []iam.Realm{"acme", "other"} {
		hash := "nope"
		if realm == "other" {
			hash = "h1"
		}
		if _, err := s.RotateRefresh(ctx, realm, hash, sampleRefresh(realm, "h2", "f1", "s1"), time.Hour); !errors.Is(err, iam.ErrNotFound) {
			t.Fatalf("%s/%s: %v", realm, hash, err)
		}
	}
}

func tokenExpiredRefreshTokenIsNotFound(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h1", "f1", "s1"), 10*time.Millisecond)
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h2", "f2", "s1"), time.Hour)
	_, _ = s.RotateRefresh(ctx, "acme", "h2", sampleRefresh("acme", "h3", "f2", "s1"), 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	for _, h := range []string{"h1", "h3"} {
		if _, err := s.GetRefresh(ctx, "acme", h); !errors.Is(err, iam.ErrNotFound) {
			t.Fatalf("%s: %v", h, err)
		}
	}
}

func tokenConcurrentRefreshRotationsHaveOneWinner(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h1", "f1", "s1"), time.Hour)
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev, err := s.RotateRefresh(ctx, "acme", "h1", sampleRefresh("acme", fmt.Sprint("n", i), "f1", "s1"), time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			} else if !prev.Rotated {
				winners++
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d rotations won", winners)
	}
}

func tokenRevokedFamilyRefusesRotation(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h1", "f1", "s1"), time.Hour)
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "x1", "f2", "s1"), time.Hour)
	_, _ = s.RotateRefresh(ctx, "acme", "h1", sampleRefresh("acme", "h2", "f1", "s1"), time.Hour)
	if err := s.RevokeFamily(ctx, "acme", "f1", time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h1", "h2"} {
		if got, err := s.GetRefresh(ctx, "acme", h); err != nil || !got.Revoked {
			t.Fatalf("%s = %+v, %v", h, got, err)
		}
	}
	prev, err := s.RotateRefresh(ctx, "acme", "h2", sampleRefresh("acme", "h3", "f1", "s1"), time.Hour)
	if err != nil || !prev.Revoked {
		t.Fatalf("rotation of a revoked token = %+v, %v", prev, err)
	}
	if _, err := s.GetRefresh(ctx, "acme", "h3"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("revoked rotation stored its token: %v", err)
	}
	if got, _ := s.GetRefresh(ctx, "acme", "x1"); got.Revoked {
		t.Fatal("another family was revoked")
	}
}

func tokenRevokedSessionRevokesItsTokens(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h1", "f1", "s1"), time.Hour)
	_ = s.SaveRefresh(ctx, sampleRefresh("acme", "h2", "f2", "s2"), time.Hour)
	if err := s.RevokeSession(ctx, "acme", "s1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetRefresh(ctx, "acme", "h1"); !got.Revoked {
		t.Fatal("token of the revoked session is not revoked")
	}
	if got, _ := s.GetRefresh(ctx, "acme", "h2"); got.Revoked {
		t.Fatal("token of another session is revoked")
	}
	for _, c := range []struct {
		realm    iam.Realm
		jti, sid string
		want     bool
	}{{"acme", "j", "s1", true}, {"acme", "j", "s2", false}, {"acme", "j", "", false}, {"other", "j", "s1", false}} {
		if got, err := s.AccessTokenRevoked(ctx, c.realm, c.jti, c.sid, time.Now()); err != nil || got != c.want {
			t.Errorf("AccessTokenRevoked(%s, %s, %s) = %v, %v", c.realm, c.jti, c.sid, got, err)
		}
	}
}

func tokenRevokeUserSessionsRevokesEveryRecordedSession(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	a := sampleRefresh("acme", "h1", "f1", "s1")
	b := sampleRefresh("acme", "h2", "f2", "s2")
	c := sampleRefresh("acme", "h3", "f3", "s3")
	c.UserID = "u2"
	for _, rt := range []auth.RefreshToken{a, b, c} {
		_ = s.SaveRefresh(ctx, rt, time.Hour)
	}
	sids, err := s.RevokeUserSessions(ctx, "acme", "u1", "", time.Hour)
	sort.Strings(sids)
	if err != nil || !reflect.DeepEqual(sids, []string{"s1", "s2"}) {
		t.Fatalf("sids = %v, %v", sids, err)
	}
	for h, want := range map[string]bool{"h1": true, "h2": true, "h3": false} {
		if got, _ := s.GetRefresh(ctx, "acme", h); got.Revoked != want {
			t.Errorf("%s revoked = %v", h, got.Revoked)
		}
	}
	if sids, _ := s.RevokeUserSessions(ctx, "other", "u2", "", time.Hour); len(sids) != 0 {
		t.Fatalf("other realm's sessions: %v", sids)
	}
}

func tokenAccessTokenBlacklist(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	if err := s.RevokeAccessToken(ctx, "acme", "j1", time.Hour); err != nil {
		t.Fatal(err)
	}
	_ = s.RevokeAccessToken(ctx, "acme", "short", 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	for _, c := range []struct {
		realm iam.Realm
		jti   string
		want  bool
	}{{"acme", "j1", true}, {"acme", "j2", false}, {"other", "j1", false}, {"acme", "short", false}} {
		if got, err := s.AccessTokenRevoked(ctx, c.realm, c.jti, "", time.Now()); err != nil || got != c.want {
			t.Errorf("AccessTokenRevoked(%s, %s) = %v, %v", c.realm, c.jti, got, err)
		}
	}
}

func tokenRevocationsAreIdempotentAndNeverShortened(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.RevokeSession(ctx, "acme", "s1", time.Hour)
	_ = s.RevokeSession(ctx, "acme", "s1", 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	if got, _ := s.AccessTokenRevoked(ctx, "acme", "j", "s1", time.Now()); !got {
		t.Fatal("a shorter second revocation shortened the first")
	}
}

func tokenLoginFailuresAreCountedPerKey(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	for i := 1; i <= 3; i++ {
		lf, err := s.RecordLoginFailure(ctx, "acme", "user:u1", fmt.Sprint("10.0.0.", i), now.Add(time.Duration(i)*time.Second), time.Hour, time.Hour)
		if err != nil || lf.NumFailures != i {
			t.Fatalf("failure %d = %+v, %v", i, lf, err)
		}
	}
	got, err := s.LoginFailures(ctx, "acme", "user:u1")
	if err != nil || got.NumFailures != 3 || got.LastIPFailure != "10.0.0.3" || !got.LastFailure.Equal(now.Add(3*time.Second)) {
		t.Fatalf("LoginFailures = %+v, %v", got, err)
	}
	for _, c := range []struct {
		realm iam.Realm
		key   string
	}{{"acme", "user:u2"}, {"other", "user:u1"}} {
		if got, err := s.LoginFailures(ctx, c.realm, c.key); err != nil || got != (auth.LoginFailures{}) {
			t.Errorf("%s/%s = %+v, %v", c.realm, c.key, got, err)
		}
	}
	if err := s.ClearLoginFailures(ctx, "acme", "user:u1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoginFailures(ctx, "acme", "user:u1"); got.NumFailures != 0 {
		t.Fatalf("after clear = %+v", got)
	}
}

func tokenOldLoginFailuresAreReset(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	_, _ = s.RecordLoginFailure(ctx, "acme", "k", "ip", now, time.Minute, time.Hour)
	_, _ = s.RecordLoginFailure(ctx, "acme", "k", "ip", now.Add(30*time.Second), time.Minute, time.Hour)
	lf, err := s.RecordLoginFailure(ctx, "acme", "k", "ip", now.Add(2*time.Minute), time.Minute, time.Hour)
	if err != nil || lf.NumFailures != 1 {
		t.Fatalf("after reset = %+v, %v", lf, err)
	}
}

func tokenLoginFailureRecordExpiresAfterTTL(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	_, _ = s.RecordLoginFailure(ctx, "acme", "k", "ip", now, time.Hour, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	if got, _ := s.LoginFailures(ctx, "acme", "k"); got.NumFailures != 0 {
		t.Fatalf("record outlived its ttl: %+v", got)
	}
}

func tokenConcurrentLoginFailuresAreAllCounted(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	const n = 20
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RecordLoginFailure(ctx, "acme", "k", "ip", now, time.Hour, time.Hour); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, _ := s.LoginFailures(ctx, "acme", "k"); got.NumFailures != n {
		t.Fatalf("counted %d of %d", got.NumFailures, n)
	}
}
