package userstest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

func cred(h string) users.Credential {
	return users.Credential{ID: iam.NewID(), Type: users.CredentialPassword, UserLabel: "label", CreatedAt: ts, Hash: h}
}

func testCreateWithPassword(t *testing.T, h Harness) {
	s := h.Store
	c := cred("h1")
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{Password: &c})
	got, err := s.GetPassword(ctx(t), "acme", u.ID)
	if err != nil || got != c {
		t.Fatalf("GetPassword = %+v, %v; want %+v", got, err, c)
	}
}

func testNoPasswordIsNotFound(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	_, err := s.GetPassword(ctx(t), "acme", u.ID)
	wantCode(t, err, iam.CodeNotFound)
}

func testSetPasswordKeepsHistory(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	for i, h := range []string{"h1", "h2", "h3", "h4"} {
		if err := s.SetPassword(ctx(t), "acme", u.ID, users.PasswordChange{Credential: cred(h), KeepHistory: 2}); err != nil {
			t.Fatalf("SetPassword %d: %v", i, err)
		}
	}
	cur, _ := s.GetPassword(ctx(t), "acme", u.ID)
	if cur.Hash != "h4" {
		t.Fatalf("current = %q", cur.Hash)
	}
	hist, err := s.PasswordHistory(ctx(t), "acme", u.ID, 10)
	if err != nil || !slices.Equal(hist, []string{"h3", "h2"}) {
		t.Fatalf("history = %v, %v; want [h3 h2]", hist, err)
	}
	hist, _ = s.PasswordHistory(ctx(t), "acme", u.ID, 1)
	if !slices.Equal(hist, []string{"h3"}) {
		t.Fatalf("history(1) = %v", hist)
	}
	if err := s.SetPassword(ctx(t), "acme", u.ID, users.PasswordChange{Credential: cred("h5")}); err != nil {
		t.Fatal(err)
	}
	if hist, _ := s.PasswordHistory(ctx(t), "acme", u.ID, 10); len(hist) != 0 {
		t.Fatalf("KeepHistory 0 kept %v", hist)
	}
}

func testSetPasswordWithRequiredActions(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	err := s.SetPassword(ctx(t), "acme", u.ID, users.PasswordChange{Credential: cred("h"),
		SetRequiredActions: true, RequiredActions: []string{users.ActionUpdatePassword}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx(t), "acme", u.ID)
	if !slices.Equal(got.RequiredActions, []string{users.ActionUpdatePassword}) {
		t.Fatalf("required actions = %v", got.RequiredActions)
	}
	if err := s.SetPassword(ctx(t), "acme", u.ID, users.PasswordChange{Credential: cred("h2")}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx(t), "acme", u.ID)
	if !slices.Equal(got.RequiredActions, []string{users.ActionUpdatePassword}) {
		t.Fatalf("required actions changed without SetRequiredActions: %v", got.RequiredActions)
	}
}

func testSetPasswordOfMissingUser(t *testing.T, h Harness) {
	s := h.Store
	wantCode(t, s.SetPassword(ctx(t), "acme", iam.NewID(), users.PasswordChange{Credential: cred("h")}), iam.CodeNotFound)
}

func testRehashIsCompareAndSwap(t *testing.T, h Harness) {
	s := h.Store
	c := cred("old")
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{Password: &c})
	wantCode(t, s.RehashPassword(ctx(t), "acme", u.ID, "stale", "new"), iam.CodeConflict)
	if err := s.RehashPassword(ctx(t), "acme", u.ID, "old", "new"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetPassword(ctx(t), "acme", u.ID)
	if got.Hash != "new" || got.ID != c.ID || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Fatalf("after rehash: %+v", got)
	}
	if hist, _ := s.PasswordHistory(ctx(t), "acme", u.ID, 5); len(hist) != 0 {
		t.Fatalf("rehash recorded history %v", hist)
	}
}

func testDeletePasswordRemovesIt(t *testing.T, h Harness) {
	s := h.Store
	c := cred("h")
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{Password: &c})
	wantCode(t, s.DeletePassword(ctx(t), "acme", u.ID, iam.NewID()), iam.CodeNotFound)
	if err := s.DeletePassword(ctx(t), "acme", u.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetPassword(ctx(t), "acme", u.ID)
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, s.DeletePassword(ctx(t), "acme", u.ID, c.ID), iam.CodeNotFound)
}

// token returns an action token of u, valid for an hour from created.
func token(u users.User, hash, action string, created time.Time) users.ActionToken {
	return users.ActionToken{Realm: u.Realm, Hash: hash, UserID: u.ID, Action: action, Email: u.Email,
		CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func testTokenCreateGetConsumeRoundTrip(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	tok := token(u, "h1", users.TokenVerifyEmail, ts)
	if err := s.CreateToken(ctx(t), tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetToken(ctx(t), "acme", "h1")
	if err != nil || got.UserID != u.ID || got.Action != tok.Action || got.Email != u.Email ||
		!got.ExpiresAt.Equal(tok.ExpiresAt) || !got.CreatedAt.Equal(tok.CreatedAt) || got.Realm != "acme" {
		t.Fatalf("GetToken = %+v, %v", got, err)
	}
	if _, err := s.ConsumeToken(ctx(t), "acme", "h1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.ConsumeToken(ctx(t), "acme", "h1")
	wantCode(t, err, iam.CodeNotFound)
	_, err = s.GetToken(ctx(t), "acme", "h1")
	wantCode(t, err, iam.CodeNotFound)
}

func testNewTokenReplacesSameActionOnly(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	for _, tok := range []users.ActionToken{
		token(u, "verify1", users.TokenVerifyEmail, ts),
		token(u, "reset1", users.TokenResetCredentials, ts),
		token(u, "verify2", users.TokenVerifyEmail, ts.Add(time.Minute)),
	} {
		if err := s.CreateToken(ctx(t), tok); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.GetToken(ctx(t), "acme", "verify1")
	wantCode(t, err, iam.CodeNotFound)
	for _, h := range []string{"reset1", "verify2"} {
		if _, err := s.GetToken(ctx(t), "acme", h); err != nil {
			t.Fatalf("%s: %v", h, err)
		}
	}
}

func testNewTokenRemovesExpiredOnes(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	if err := s.CreateToken(ctx(t), token(u, "old", users.TokenResetCredentials, ts)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx(t), token(u, "new", users.TokenVerifyEmail, ts.Add(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetToken(ctx(t), "acme", "old")
	wantCode(t, err, iam.CodeNotFound)
}

func testTokenOfMissingUser(t *testing.T, h Harness) {
	s := h.Store
	u := newUser("acme", "ghost")
	wantCode(t, s.CreateToken(ctx(t), token(u, "h", users.TokenVerifyEmail, ts)), iam.CodeNotFound)
}

func testDeletingUserDeletesTokens(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	if err := s.CreateToken(ctx(t), token(u, "h", users.TokenVerifyEmail, ts)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx(t), "acme", u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetToken(ctx(t), "acme", "h")
	wantCode(t, err, iam.CodeNotFound)
}

func testConcurrentConsumeSucceedsOnce(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	if err := s.CreateToken(ctx(t), token(u, "h", users.TokenResetCredentials, ts)); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, notFound := 0, 0
	for range n {
		wg.Go(func() {
			_, err := s.ConsumeToken(ctx(t), "acme", "h")
			mu.Lock()
			defer mu.Unlock()
			switch iam.ErrorCode(err) {
			case "":
				ok++
			case iam.CodeNotFound:
				notFound++
			default:
				t.Errorf("ConsumeToken: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || notFound != n-1 {
		t.Fatalf("%d consumed, %d not found", ok, notFound)
	}
}
