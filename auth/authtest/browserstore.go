package authtest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

func sampleFlow(realm iam.Realm, id string) auth.LoginFlow {
	now := ms(time.Now())
	return auth.LoginFlow{ID: id, Realm: realm, Browser: "browser-hash", CSRF: "csrf",
		Request: auth.Authorization{ClientID: "app", ClientUUID: "c-app", RedirectURI: "https://app/cb",
			ResponseMode: auth.ResponseModeQuery, State: "st", Scope: "openid", Nonce: "n",
			CodeChallenge: "challenge", CodeChallengeMethod: auth.PKCES256, MaxAge: -1, LoginHint: "alice"},
		UserID: "u1", AuthTime: now, SecondFactor: true, EmailCodeSent: true, Created: now, ExpiresAt: now.Add(30 * time.Minute)}
}

func sampleBrowser(realm iam.Realm, hash, sid string) auth.BrowserSession {
	now := ms(time.Now())
	return auth.BrowserSession{Hash: hash, Realm: realm, SessionID: sid, UserID: "u1", AuthTime: now,
		Started: now.Add(-time.Minute), SecondFactor: true, CSRF: "csrf", ExpiresAt: now.Add(10 * time.Hour)}
}

func flowsEqual(a, b auth.LoginFlow) bool {
	for _, p := range []*time.Time{&a.AuthTime, &a.Created, &a.ExpiresAt, &b.AuthTime, &b.Created, &b.ExpiresAt} {
		*p = p.UTC()
	}
	return reflect.DeepEqual(a, b)
}

func browsersEqual(a, b auth.BrowserSession) bool {
	for _, p := range []*time.Time{&a.AuthTime, &a.Started, &a.ExpiresAt, &b.AuthTime, &b.Started, &b.ExpiresAt} {
		*p = p.UTC()
	}
	return reflect.DeepEqual(a, b)
}

func browserLoginFlowRoundTripsAndIsReplaced(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	f := sampleFlow("acme", "f1")
	if err := s.SaveLoginFlow(ctx, f, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetLoginFlow(ctx, "acme", "f1")
	if err != nil || !flowsEqual(got, f) {
		t.Fatalf("GetLoginFlow = %+v, %v; want %+v", got, err, f)
	}
	if err := s.SaveLoginFlow(ctx, f, time.Hour); !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("saving a flow twice: %v", err)
	}
	f.UserID, f.SecondFactor = "u2", false
	if err := s.UpdateLoginFlow(ctx, f, time.Hour); err != nil {
		t.Fatalf("updating a flow: %v", err)
	}
	if got, _ := s.GetLoginFlow(ctx, "acme", "f1"); !flowsEqual(got, f) {
		t.Fatalf("replaced flow = %+v", got)
	}
	if _, err := s.GetLoginFlow(ctx, "other", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("another realm's flow: %v", err)
	}
}

func browserTakenLoginFlowIsGone(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	f := sampleFlow("acme", "f1")
	_ = s.SaveLoginFlow(ctx, f, time.Hour)
	got, err := s.TakeLoginFlow(ctx, "acme", "f1")
	if err != nil || !flowsEqual(got, f) {
		t.Fatalf("TakeLoginFlow = %+v, %v", got, err)
	}
	if _, err := s.TakeLoginFlow(ctx, "acme", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("second take: %v", err)
	}
	if _, err := s.GetLoginFlow(ctx, "acme", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("get after take: %v", err)
	}
	if err := s.UpdateLoginFlow(ctx, f, time.Hour); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("an update brought a taken flow back: %v", err)
	}
	if _, err := s.GetLoginFlow(ctx, "acme", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("get after the update of a taken flow: %v", err)
	}
}

func browserConcurrentTakesHaveOneWinner(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveLoginFlow(ctx, sampleFlow("acme", "f1"), time.Hour)
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, others := 0, 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.TakeLoginFlow(ctx, "acme", "f1")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, iam.ErrNotFound):
				others++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || others != n-1 {
		t.Fatalf("%d takes won, %d found nothing", wins, others)
	}
}

func browserLoginFlowExpires(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveLoginFlow(ctx, sampleFlow("acme", "f1"), 20*time.Millisecond)
	time.Sleep(60 * time.Millisecond)
	if _, err := s.GetLoginFlow(ctx, "acme", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("expired flow: %v", err)
	}
	if _, err := s.TakeLoginFlow(ctx, "acme", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("expired flow taken: %v", err)
	}
}

func browserSessionRoundTripsAndIsUnique(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	b := sampleBrowser("acme", "h1", "s1")
	if err := s.SaveBrowserSession(ctx, b, time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBrowserSession(ctx, "acme", "h1")
	if err != nil || !browsersEqual(got, b) {
		t.Fatalf("GetBrowserSession = %+v, %v; want %+v", got, err, b)
	}
	if err := s.SaveBrowserSession(ctx, b, time.Hour); !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("duplicate record: %v", err)
	}
	if _, err := s.GetBrowserSession(ctx, "other", "h1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("another realm's record: %v", err)
	}
	if err := s.DeleteBrowserSession(ctx, "acme", "h1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBrowserSession(ctx, "acme", "h1"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.GetBrowserSession(ctx, "acme", "h1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("deleted record: %v", err)
	}
}

func browserSessionIsRevokedWithItsSession(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveBrowserSession(ctx, sampleBrowser("acme", "h1", "s1"), time.Hour)
	_ = s.SaveBrowserSession(ctx, sampleBrowser("acme", "h2", "s2"), time.Hour)
	if err := s.RevokeSession(ctx, "acme", "s1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBrowserSession(ctx, "acme", "h1"); err != nil || !got.Revoked {
		t.Fatalf("record of a revoked session = %+v, %v", got, err)
	}
	if got, _ := s.GetBrowserSession(ctx, "acme", "h2"); got.Revoked {
		t.Fatal("record of another session revoked")
	}
}

func browserSessionCountsAmongTheUsersSessions(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveBrowserSession(ctx, sampleBrowser("acme", "h1", "s1"), time.Hour)
	_ = s.SaveBrowserSession(ctx, sampleBrowser("acme", "h2", "s2"), time.Hour)
	sids, err := s.RevokeUserSessions(ctx, "acme", "u1", "s2", time.Hour)
	if err != nil || !reflect.DeepEqual(sids, []string{"s1"}) {
		t.Fatalf("RevokeUserSessions = %v, %v", sids, err)
	}
	if got, _ := s.GetBrowserSession(ctx, "acme", "h1"); !got.Revoked {
		t.Fatal("the user's session survived")
	}
	if got, _ := s.GetBrowserSession(ctx, "acme", "h2"); got.Revoked {
		t.Fatal("the kept session was revoked")
	}
}

func browserSessionExpires(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	_ = s.SaveBrowserSession(ctx, sampleBrowser("acme", "h1", "s1"), 20*time.Millisecond)
	time.Sleep(60 * time.Millisecond)
	if _, err := s.GetBrowserSession(ctx, "acme", "h1"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("expired record: %v", err)
	}
}

func browserDeleteRealmForgetsFlowsAndSessions(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	for _, realm := range []iam.Realm{"acme", "other"} {
		_ = s.SaveLoginFlow(ctx, sampleFlow(realm, "f1"), time.Hour)
		_ = s.SaveBrowserSession(ctx, sampleBrowser(realm, "h1", "s1"), time.Hour)
	}
	if err := s.DeleteRealm(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetLoginFlow(ctx, "acme", "f1"); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("flow survived: %v", err)
	}
	if _, err := s.GetBrowserSession(ctx, "acme", "h1"); !errors.Is(err, iam.ErrNotFound) {
		t.Errorf("SSO record survived: %v", err)
	}
	if _, err := s.GetLoginFlow(ctx, "other", "f1"); err != nil {
		t.Errorf("other realm's flow: %v", err)
	}
	if _, err := s.GetBrowserSession(ctx, "other", "h1"); err != nil {
		t.Errorf("other realm's SSO record: %v", err)
	}
}

func browserNonPositiveTTLIsInvalid(t *testing.T, h TokenStoreHarness) {
	ctx := context.Background()
	s := h.Store
	if err := s.SaveLoginFlow(ctx, sampleFlow("acme", "f1"), 0); !errors.Is(err, iam.ErrInvalid) {
		t.Errorf("SaveLoginFlow: %v", err)
	}
	if err := s.UpdateLoginFlow(ctx, sampleFlow("acme", "f1"), 0); !errors.Is(err, iam.ErrInvalid) {
		t.Errorf("UpdateLoginFlow: %v", err)
	}
	if err := s.SaveBrowserSession(ctx, sampleBrowser("acme", "h1", "s1"), -time.Second); !errors.Is(err, iam.ErrInvalid) {
		t.Errorf("SaveBrowserSession: %v", err)
	}
}
