package userstest

import (
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

func testCreateThenGetReturnsEveryField(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
	got, err := s.Get(ctx(t), "acme", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, u)
	got, err = s.GetByUsername(ctx(t), "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, u)
	got, err = s.GetByEmail(ctx(t), "acme", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, u)
}

func testValuesAreCopied(t *testing.T, h Harness) {
	s := h.Store
	u := newUser("acme", "alice")
	mustCreate(t, s, u, users.CreateOptions{})
	u.Attributes["dept"][0] = "changed"
	u.RequiredActions[0] = "changed"
	u.Extra["notBefore"][0] = '2'
	got, _ := s.Get(ctx(t), "acme", u.ID)
	if got.Attributes["dept"][0] != "eng" || got.RequiredActions[0] != users.ActionVerifyEmail ||
		string(got.Extra["notBefore"]) != "1700000000" {
		t.Fatalf("store shares memory with the caller: %+v", got)
	}
	got.Attributes["dept"][0] = "changed again"
	again, _ := s.Get(ctx(t), "acme", u.ID)
	if again.Attributes["dept"][0] != "eng" {
		t.Fatal("store shares memory with what it returned")
	}
}

func testEmptyOptionalFieldsRoundTrip(t *testing.T, h Harness) {
	s := h.Store
	u := users.User{ID: iam.NewID(), Realm: "acme", Username: "bare", CreatedAt: ts, UpdatedAt: ts}
	mustCreate(t, s, u, users.CreateOptions{UniqueEmail: true})
	got, err := s.Get(ctx(t), "acme", u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameUser(t, got, u)
}

func testMissingIsNotFound(t *testing.T, h Harness) {
	s := h.Store
	_, err := s.Get(ctx(t), "acme", iam.NewID())
	wantCode(t, err, iam.CodeNotFound)
	_, err = s.GetByUsername(ctx(t), "acme", "nobody")
	wantCode(t, err, iam.CodeNotFound)
	_, err = s.GetByEmail(ctx(t), "acme", "nobody@example.com")
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, s.Delete(ctx(t), "acme", iam.NewID()), iam.CodeNotFound)
}

func testMalformedIDIsNotFound(t *testing.T, h Harness) {
	s := h.Store
	_, err := s.Get(ctx(t), "acme", "not-a-uuid")
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, s.Delete(ctx(t), "acme", "not-a-uuid"), iam.CodeNotFound)
}

func testUppercaseUsernameIsInvalid(t *testing.T, h Harness) {
	s := h.Store
	u := newUser("acme", "alice")
	u.Username = "Alice"
	wantCode(t, s.Create(ctx(t), u, users.CreateOptions{}), iam.CodeInvalid)
}

func testConflictsNameTheField(t *testing.T, h Harness) {
	s := h.Store
	a := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
	sameName := newUser("acme", "alice")
	sameName.Email = "other@example.com"
	wantConflict(t, s.Create(ctx(t), sameName, users.CreateOptions{}), "username")
	sameID := newUser("acme", "bob")
	sameID.ID = a.ID
	wantConflict(t, s.Create(ctx(t), sameID, users.CreateOptions{}), "id")
	sameEmail := newUser("acme", "carol")
	sameEmail.Email = a.Email
	wantConflict(t, s.Create(ctx(t), sameEmail, users.CreateOptions{UniqueEmail: true}), "email")
}

func testDuplicateEmailsWithoutUniqueEmail(t *testing.T, h Harness) {
	s := h.Store
	a := newUser("acme", "alice")
	b := newUser("acme", "bob")
	b.Email = a.Email
	mustCreate(t, s, a, users.CreateOptions{})
	mustCreate(t, s, b, users.CreateOptions{})
	_, err := s.GetByEmail(ctx(t), "acme", a.Email)
	wantCode(t, err, iam.CodeConflict)
}

func testDeleteRemovesUserAndFreesName(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true,
		Password: &users.Credential{ID: iam.NewID(), Type: users.CredentialPassword, CreatedAt: ts, Hash: "h"}})
	if err := s.Delete(ctx(t), "acme", u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(ctx(t), "acme", u.ID)
	wantCode(t, err, iam.CodeNotFound)
	_, err = s.GetPassword(ctx(t), "acme", u.ID)
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, s.Delete(ctx(t), "acme", u.ID), iam.CodeNotFound)
	mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
}

func testDeleteRealmIsIdempotentAndScoped(t *testing.T, h Harness) {
	s := h.Store
	mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	mustCreate(t, s, newUser("acme", "bob"), users.CreateOptions{})
	other := mustCreate(t, s, newUser("other", "alice"), users.CreateOptions{})
	n, err := s.DeleteRealm(ctx(t), "acme")
	if err != nil || n != 2 {
		t.Fatalf("DeleteRealm = %d, %v", n, err)
	}
	n, err = s.DeleteRealm(ctx(t), "acme")
	if err != nil || n != 0 {
		t.Fatalf("second DeleteRealm = %d, %v", n, err)
	}
	if c, _ := s.Count(ctx(t), "acme", users.Filter{}); c != 0 {
		t.Fatalf("%d users left", c)
	}
	if _, err := s.Get(ctx(t), "other", other.ID); err != nil {
		t.Fatalf("other realm's user: %v", err)
	}
}

// testIsolation checks that no method reaches another realm's user.
func testRealmIsolation(t *testing.T, h Harness) {
	s := h.Store
	cred := &users.Credential{ID: iam.NewID(), Type: users.CredentialPassword, CreatedAt: ts, Hash: "h"}
	a := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true, Password: cred})
	tok := users.ActionToken{Realm: "acme", Hash: "hash-a", UserID: a.ID, Action: users.TokenVerifyEmail,
		Email: a.Email, CreatedAt: ts, ExpiresAt: ts.Add(time.Hour)}
	if err := s.CreateToken(ctx(t), tok); err != nil {
		t.Fatal(err)
	}
	const b iam.Realm = "other"
	mustCreate(t, s, newUser(b, "bob"), users.CreateOptions{})
	checks := map[string]func() error{
		"Get":           func() error { _, err := s.Get(ctx(t), b, a.ID); return err },
		"GetByUsername": func() error { _, err := s.GetByUsername(ctx(t), b, "alice"); return err },
		"GetByEmail":    func() error { _, err := s.GetByEmail(ctx(t), b, a.Email); return err },
		"Update": func() error {
			_, err := s.Update(ctx(t), b, a.ID, users.UpdateOptions{}, func(u *users.User) ([]iam.Event, error) {
				u.FirstName = "hijacked"
				return nil, nil
			})
			return err
		},
		"Delete":          func() error { return s.Delete(ctx(t), b, a.ID) },
		"GetPassword":     func() error { _, err := s.GetPassword(ctx(t), b, a.ID); return err },
		"SetPassword":     func() error { return s.SetPassword(ctx(t), b, a.ID, users.PasswordChange{Credential: *cred}) },
		"DeletePassword":  func() error { return s.DeletePassword(ctx(t), b, a.ID, cred.ID) },
		"GetToken":        func() error { _, err := s.GetToken(ctx(t), b, tok.Hash); return err },
		"ConsumeToken":    func() error { _, err := s.ConsumeToken(ctx(t), b, tok.Hash); return err },
		"CreateTokenForA": func() error { x := tok; x.Realm, x.Hash = b, "hash-b"; return s.CreateToken(ctx(t), x) },
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) { wantCode(t, check(), iam.CodeNotFound) })
	}
	t.Run("RehashPassword", func(t *testing.T) {
		if err := s.RehashPassword(ctx(t), b, a.ID, "h", "evil"); err == nil {
			t.Fatal("rehash across realms succeeded")
		}
	})
	t.Run("ListAndCount", func(t *testing.T) {
		list, err := s.List(ctx(t), b, users.Filter{Search: "alice", SearchMode: users.MatchInfix, Max: 100})
		if err != nil || len(list) != 0 {
			t.Fatalf("List = %v, %v", list, err)
		}
		if n, _ := s.Count(ctx(t), b, users.Filter{}); n != 1 {
			t.Fatalf("Count = %d, want 1 (bob)", n)
		}
		if h, _ := s.PasswordHistory(ctx(t), b, a.ID, 5); len(h) != 0 {
			t.Fatalf("history across realms: %v", h)
		}
	})
	t.Run("NothingChangedInA", func(t *testing.T) {
		got, err := s.Get(ctx(t), "acme", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, got, a)
		if c, err := s.GetPassword(ctx(t), "acme", a.ID); err != nil || c.Hash != "h" {
			t.Fatalf("password = %+v, %v", c, err)
		}
		if _, err := s.GetToken(ctx(t), "acme", tok.Hash); err != nil {
			t.Fatalf("token: %v", err)
		}
	})
}
