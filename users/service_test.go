package users_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestCreateValidates(t *testing.T) {
	long := strings.Repeat("x", 256)
	tests := []struct {
		name  string
		u     users.User
		field string
	}{
		{"UsernameRequired", users.User{}, "username"},
		{"UsernameWithSpace", users.User{Username: "al ice"}, "username"},
		{"UsernameWithSlash", users.User{Username: "al/ice"}, "username"},
		{"UsernameWithControl", users.User{Username: "al\x00ice"}, "username"},
		{"UsernameTooLong", users.User{Username: long}, "username"},
		{"UsernameMixingCyrillicAndLatin", users.User{Username: "\u0430dmin"}, "username"},
		{"UsernameMixingGreekAndLatin", users.User{Username: "p\u03b1ypal"}, "username"},
		{"UsernameWithForeignDigit", users.User{Username: "user\u0661"}, "username"},
		{"UsernameWithRightToLeftOverride", users.User{Username: "admin\u202egpj"}, "username"},
		{"UsernameWithBidiIsolate", users.User{Username: "a\u2067b"}, "username"},
		{"UsernameWithZeroWidthJoiner", users.User{Username: "ad\u200dmin"}, "username"},
		{"UsernameWithSoftHyphen", users.User{Username: "ad\u00admin"}, "username"},
		{"UsernameWithLookAlikeSlash", users.User{Username: "a\u2215b"}, "username"},
		{"UsernameWithIdeographicSpace", users.User{Username: "a\u3000b"}, "username"},
		{"UsernameWithPrivateUse", users.User{Username: "a\ue000"}, "username"},
		{"UsernameOfAServiceAccount", users.User{Username: "service-account-billing"}, "username"},
		{"UsernameOfAServiceAccountInCapitals", users.User{Username: "Service-Account-billing"}, "username"},
		{"UsernameOfAServiceAccountInFullwidth", users.User{Username: "\uff53ervice-account-billing"}, "username"},
		{"EmailMalformed", users.User{Username: "a", Email: "not-an-email"}, "email"},
		{"EmailWithName", users.User{Username: "a", Email: "Alice <a@example.com>"}, "email"},
		{"EmailWithoutDomainDot", users.User{Username: "a", Email: "a@localhost"}, "email"},
		{"FirstNameTooLong", users.User{Username: "a", FirstName: long}, "firstName"},
		{"UnknownRequiredAction", users.User{Username: "a", RequiredActions: []string{"DANCE"}}, "requiredActions"},
		{"EmptyAttributeName", users.User{Username: "a", Attributes: map[string][]string{"": {"x"}}}, "attributes"},
		{"NULInAttributeValue", users.User{Username: "a", Attributes: map[string][]string{"k": {"a\x00b"}}}, "attributes"},
		{"EscapeInAttributeValue", users.User{Username: "a", Attributes: map[string][]string{"k": {"\x1b[31m"}}}, "attributes"},
		{"NewlineInAttributeName", users.User{Username: "a", Attributes: map[string][]string{"k\nx": {"v"}}}, "attributes"},
		{"NULInAttributeName", users.User{Username: "a", Attributes: map[string][]string{"k\x00": {"v"}}}, "attributes"},
		{"IDNotUUID", users.User{ID: "1234", Username: "a"}, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.Create(bg(), "acme", tt.u)
			wantField(t, err, tt.field)
			if len(e.pub.events) != 0 {
				t.Fatal("an invalid user emitted an event")
			}
		})
	}
}

func TestCreateNormalises(t *testing.T) {
	e := newEnv(t)
	id := "0190A4E2-0000-7000-8000-00000000000A"
	u, err := e.svc.Create(bg(), "acme", users.User{ID: id, Username: "Alice.Smith", Email: "Alice@Example.COM",
		RequiredActions: []string{users.ActionVerifyEmail, users.ActionVerifyEmail}},
		users.NewCredential{Value: "pw", Temporary: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != strings.ToLower(id) || u.Username != "alice.smith" || u.Email != "alice@example.com" || u.Realm != "acme" {
		t.Fatalf("user = %+v", u)
	}
	if !slices.Equal(u.RequiredActions, []string{users.ActionVerifyEmail, users.ActionUpdatePassword}) {
		t.Fatalf("required actions = %v", u.RequiredActions)
	}
	if !u.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("createdAt = %v", u.CreatedAt)
	}
	fresh, err := e.svc.Create(bg(), "acme", users.User{Username: "bob"})
	if err != nil || len(fresh.ID) != 36 || fresh.ID[14] != '7' {
		t.Fatalf("generated id %q is not a UUIDv7 (%v)", fresh.ID, err)
	}
}

func TestCreateAcceptsUsernamesOfOneWritingSystem(t *testing.T) {
	tests := []struct{ name, in, stored string }{
		{"Latin", "José.Núñez", "josé.núñez"},
		{"Decomposed", "jose\u0301", "jos\u00e9"},
		{"Fullwidth", "\uff41\uff44\uff4d\uff49\uff4e\uff12", "admin2"},
		{"Greek", "Ελένη", "ελένη"},
		{"Cyrillic", "Иван_Петров", "иван_петров"},
		{"Arabic", "محمد", "محمد"},
		{"Hebrew", "דוד", "דוד"},
		{"JapaneseWithLatin", "山田たろうTaro", "山田たろうtaro"},
		{"HalfwidthKatakanaFolded", "\uff83\uff7d\uff84", "テスト"},
		{"KoreanWithLatin", "김민준kim", "김민준kim"},
		{"ServiceAccountElsewhereInTheName", "my-service-account-1", "my-service-account-1"},
		{"LatinWithDigits", "Tabby2", "tabby2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u, err := e.svc.Create(bg(), "acme", users.User{Username: tt.in, Attributes: map[string][]string{"note": {"a\tb\nc"}}})
			if err != nil {
				t.Fatalf("Create(%q): %v", tt.in, err)
			}
			if u.Username != tt.stored {
				t.Fatalf("stored username %q (%+q), want %q", u.Username, u.Username, tt.stored)
			}
			if got, err := e.svc.GetByUsername(bg(), "acme", tt.in); err != nil || got.ID != u.ID {
				t.Fatalf("GetByUsername(%q) = %+v, %v", tt.in, got, err)
			}
		})
	}
}

func TestLookAlikeSpellingsAreOneUser(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Create(bg(), "acme", users.User{Username: "jos\u00e9"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Create(bg(), "acme", users.User{Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	for _, twin := range []string{"jose\u0301", "JOSE\u0301", "\uff41\uff44\uff4d\uff49\uff4e"} {
		_, err := e.svc.Create(bg(), "acme", users.User{Username: twin})
		wantCode(t, err, iam.CodeConflict)
	}
}

func TestCreateConflicts(t *testing.T) {
	e := newEnv(t)
	e.alice(t, "pw")
	_, err := e.svc.Create(bg(), "acme", users.User{Username: "ALICE"})
	wantConflict(t, err, "username")
	contains(t, iam.ErrorMessage(err), "username")
	_, err = e.svc.Create(bg(), "acme", users.User{Username: "alice2", Email: "ALICE@example.com"})
	wantConflict(t, err, "email")
	contains(t, iam.ErrorMessage(err), "email")
	bob, err := e.svc.Create(bg(), "acme", users.User{Username: "bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	taken := "Alice"
	_, err = e.svc.Update(bg(), "acme", bob.ID, users.Patch{Username: &taken})
	wantConflict(t, err, "username")
	takenEmail := "alice@example.com"
	_, err = e.svc.UpdateAccount(bg(), "acme", bob.ID, users.AccountPatch{Email: &takenEmail})
	wantConflict(t, err, "email")
	t.Run("DuplicateEmailsAllowedByRealm", func(t *testing.T) {
		r := userstest.Realm("acme")
		r.DuplicateEmailsAllowed = true
		e.realms.Put(r)
		if _, err := e.svc.Create(bg(), "acme", users.User{Username: "alice3", Email: "alice@example.com"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMissingRealmIsNotFoundEverywhere(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	const gone iam.Realm = "gone"
	calls := map[string]func() error{
		"Create":        func() error { _, err := e.svc.Create(bg(), gone, users.User{Username: "x"}); return err },
		"Get":           func() error { _, err := e.svc.Get(bg(), gone, u.ID); return err },
		"GetByUsername": func() error { _, err := e.svc.GetByUsername(bg(), gone, "alice"); return err },
		"List":          func() error { _, err := e.svc.List(bg(), gone, users.Filter{}); return err },
		"Count":         func() error { _, err := e.svc.Count(bg(), gone, users.Filter{}); return err },
		"Update":        func() error { _, err := e.svc.Update(bg(), gone, u.ID, users.Patch{}); return err },
		"Delete":        func() error { return e.svc.Delete(bg(), gone, u.ID) },
		"SetPassword":   func() error { return e.svc.SetPassword(bg(), gone, u.ID, "pw", false) },
		"Credentials":   func() error { _, err := e.svc.Credentials(bg(), gone, u.ID); return err },
		"Authenticate":  func() error { _, err := e.svc.Authenticate(bg(), gone, "alice", "pw"); return err },
		"VerifyEmail":   func() error { _, err := e.svc.VerifyEmail(bg(), gone, "k"); return err },
		"RequestReset":  func() error { return e.svc.RequestPasswordReset(bg(), gone, "alice") },
		"ResetPassword": func() error { return e.svc.ResetPassword(bg(), gone, "k", "pw") },
		"SendVerify":    func() error { return e.svc.SendVerifyEmail(bg(), gone, u.ID, 0) },
		"Import":        func() error { _, err := e.svc.Import(bg(), gone, "", nil); return err },
		"UpdateAccount": func() error { _, err := e.svc.UpdateAccount(bg(), gone, u.ID, users.AccountPatch{}); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			wantCode(t, err, iam.CodeNotFound)
		})
	}
}

func TestUpdate(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	verified := true
	if _, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{EmailVerified: &verified}); err != nil {
		t.Fatal(err)
	}
	t.Run("PartialPatchKeepsOtherFields", func(t *testing.T) {
		first := "Alice"
		got, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{FirstName: &first})
		if err != nil || got.FirstName != "Alice" || got.Email != "alice@example.com" || !got.EmailVerified {
			t.Fatalf("Update = %+v, %v", got, err)
		}
	})
	t.Run("ChangedEmailBecomesUnverified", func(t *testing.T) {
		email := "NEW@example.com"
		got, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{Email: &email})
		if err != nil || got.Email != "new@example.com" || got.EmailVerified {
			t.Fatalf("Update = %+v, %v", got, err)
		}
	})
	t.Run("InvalidPatch", func(t *testing.T) {
		bad := "a b"
		_, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{Username: &bad})
		wantField(t, err, "username")
	})
	t.Run("OtherRealmIsNotFound", func(t *testing.T) {
		_, err := e.svc.Update(bg(), "other", u.ID, users.Patch{})
		wantCode(t, err, iam.CodeNotFound)
	})
	if e.pub.last(t, iam.TopicUserUpdated).Subject != u.ID {
		t.Fatal("user.updated has the wrong subject")
	}
}

func TestPasswordPolicyNamesEveryViolatedRule(t *testing.T) {
	e := newEnv(t)
	e.policy(realms.PasswordPolicy{MinLength: 12, Digits: 2, UpperCase: 1, LowerCase: 1, SpecialChars: 1, NotUsername: true})
	_, err := e.svc.Create(bg(), "acme", users.User{Username: "alice"}, users.NewCredential{Value: "alice"})
	wantField(t, err, "password")
	contains(t, iam.ErrorMessage(err), "at least 12 characters", "at least 2 digits", "at least 1 uppercase letter",
		"at least 1 special character", "not the username")
	if strings.Contains(iam.ErrorMessage(err), "lowercase") {
		t.Fatalf("satisfied rule reported: %s", iam.ErrorMessage(err))
	}
	if _, err := e.svc.Create(bg(), "acme", users.User{Username: "alice"}, users.NewCredential{Value: "Str0ng-pass9word"}); err != nil {
		t.Fatalf("good password rejected: %v", err)
	}
	t.Run("NotEmail", func(t *testing.T) {
		e.policy(realms.PasswordPolicy{NotEmail: true})
		_, err := e.svc.Create(bg(), "acme", users.User{Username: "bob", Email: "bob@example.com"},
			users.NewCredential{Value: "BOB@example.com"})
		contains(t, iam.ErrorMessage(err), "not the email")
	})
	t.Run("AlwaysBounded", func(t *testing.T) {
		_, err := e.svc.Create(bg(), "acme", users.User{Username: "carol"}, users.NewCredential{Value: strings.Repeat("x", users.MaxPasswordLength+1)})
		contains(t, iam.ErrorMessage(err), "at most 1024 characters")
	})
}

func TestPasswordHistory(t *testing.T) {
	e := newEnv(t)
	e.policy(realms.PasswordPolicy{PasswordHistory: 3})
	u := e.alice(t, "pw-1")
	for _, pw := range []string{"pw-2", "pw-3"} {
		if err := e.svc.SetPassword(bg(), "acme", u.ID, pw, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, reused := range []string{"pw-1", "pw-2", "pw-3"} {
		err := e.svc.SetPassword(bg(), "acme", u.ID, reused, false)
		wantField(t, err, "password")
		contains(t, iam.ErrorMessage(err), "not one of the last 3 passwords")
	}
	if err := e.svc.SetPassword(bg(), "acme", u.ID, "pw-4", false); err != nil {
		t.Fatal(err)
	}
	// pw-1 is now four passwords ago.
	if err := e.svc.SetPassword(bg(), "acme", u.ID, "pw-1", false); err != nil {
		t.Fatalf("pw-1 after 3 newer passwords: %v", err)
	}
}

func TestSetPasswordTemporary(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	if err := e.svc.SetPassword(bg(), "acme", u.ID, "temp", true); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(bg(), "acme", u.ID)
	if !slices.Contains(got.RequiredActions, users.ActionUpdatePassword) {
		t.Fatalf("temporary password: required actions %v", got.RequiredActions)
	}
	if err := e.svc.SetPassword(bg(), "acme", u.ID, "final", false); err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.Get(bg(), "acme", u.ID)
	if slices.Contains(got.RequiredActions, users.ActionUpdatePassword) {
		t.Fatalf("permanent password kept UPDATE_PASSWORD: %v", got.RequiredActions)
	}
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "final"); err != nil {
		t.Fatal(err)
	}
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "old-pw")
	wantField(t, e.svc.ChangePassword(bg(), "acme", u.ID, "wrong", "new-pw"), "currentPassword")
	if err := e.svc.ChangePassword(bg(), "acme", u.ID, "old-pw", "new-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "new-pw"); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialsNeverExposeTheHash(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	creds, err := e.svc.Credentials(bg(), "acme", u.ID)
	if err != nil || len(creds) != 1 || creds[0].Hash != "" || creds[0].Type != users.CredentialPassword || creds[0].ID == "" {
		t.Fatalf("Credentials = %+v, %v", creds, err)
	}
	wantCode(t, e.svc.DeleteCredential(bg(), "acme", u.ID, "nope"), iam.CodeNotFound)
	if err := e.svc.DeleteCredential(bg(), "acme", u.ID, creds[0].ID); err != nil {
		t.Fatal(err)
	}
	if creds, _ := e.svc.Credentials(bg(), "acme", u.ID); len(creds) != 0 {
		t.Fatalf("after delete: %+v", creds)
	}
	_, err = e.svc.Credentials(bg(), "other", u.ID)
	wantCode(t, err, iam.CodeNotFound)
}

func TestEventsCarryNoSecrets(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "Super-Secret-Pw")
	if err := e.svc.SetPassword(bg(), "acme", u.ID, "Other-Secret-Pw", false); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(bg(), "acme", u.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{iam.TopicUserCreated, iam.TopicUserUpdated, iam.TopicUserCredentialsChanged, iam.TopicUserDeleted}
	if got := e.pub.topics(); !slices.Equal(got, want) {
		t.Fatalf("topics = %v, want %v", got, want)
	}
	for _, ev := range e.pub.events {
		raw := ev.Data
		for _, secret := range []string{"Secret", "argon2", "hash", "credential"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("%s payload contains %q: %s", ev.Type, secret, raw)
			}
		}
		if ev.Source != users.EventSource || ev.Realm != "acme" || ev.Subject != u.ID {
			t.Fatalf("envelope = %+v", ev)
		}
	}
	var d users.UserData
	if err := e.pub.events[0].Decode(&d); err != nil || d.ID != u.ID || d.Username != "alice" || d.Email != "alice@example.com" {
		t.Fatalf("user.created data = %+v, %v", d, err)
	}
}

func TestHashParamsFollowRealmPolicy(t *testing.T) {
	svc := users.New(nil, nil)
	def := password.DefaultParams()
	tests := []struct {
		name   string
		policy realms.PasswordPolicy
		t, m   uint32
	}{
		{"Defaults", realms.PasswordPolicy{}, def.Iterations, def.Memory},
		{"Overrides", realms.PasswordPolicy{HashIterations: 3, HashMemoryKiB: 65536}, 3, 65536},
		{"KeycloakPBKDF2IterationsIgnored", realms.PasswordPolicy{HashIterations: 27500}, def.Iterations, def.Memory},
		{"TooLittleMemoryIgnored", realms.PasswordPolicy{HashMemoryKiB: 4}, def.Iterations, def.Memory},
		// Policies stored before the bounds were lowered.
		{"OneGiBIgnored", realms.PasswordPolicy{HashMemoryKiB: 1 << 20, HashIterations: 3}, 3, def.Memory},
		{"CostlyProductKeepsIterationsOnly", realms.PasswordPolicy{HashMemoryKiB: 65536, HashIterations: 10}, 10, def.Memory},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := svc.HashParams(realms.Realm{PasswordPolicy: tt.policy})
			if p.Iterations != tt.t || p.Memory != tt.m {
				t.Fatalf("params = %+v", p)
			}
		})
	}
}

// TestRealmHashLimitsArePasswordBounds keeps the realm policy's limits (the
// realms package cannot import package password) equal to the bounds the
// hashing enforces.
func TestRealmHashLimitsArePasswordBounds(t *testing.T) {
	if realms.MaxHashMemoryKiB != password.MaxMemoryKiB || realms.MaxHashIterations != password.MaxArgon2Iterations ||
		realms.MaxHashMemoryPasses != password.MaxArgon2MemoryPasses {
		t.Fatalf("realms limits (%d KiB, t=%d, %d) differ from package password's (%d KiB, t=%d, %d)",
			realms.MaxHashMemoryKiB, realms.MaxHashIterations, realms.MaxHashMemoryPasses,
			password.MaxMemoryKiB, password.MaxArgon2Iterations, password.MaxArgon2MemoryPasses)
	}
}

func TestEnsureAdmin(t *testing.T) {
	e := newEnv(t)
	u, created, err := e.svc.EnsureAdmin(bg(), "admin", "generated-pw")
	if err != nil || !created || u.Realm != iam.MasterRealm || !u.Enabled {
		t.Fatalf("EnsureAdmin = %+v, %v, %v", u, created, err)
	}
	again, created, err := e.svc.EnsureAdmin(bg(), "Admin", "another-pw")
	if err != nil || created || again.ID != u.ID {
		t.Fatalf("second EnsureAdmin = %+v, %v, %v", again, created, err)
	}
	if _, err := e.svc.Authenticate(bg(), iam.MasterRealm, "admin", "generated-pw"); err != nil {
		t.Fatalf("the first password must stay: %v", err)
	}
	t.Run("MissingMasterRealm", func(t *testing.T) {
		e := newEnv(t)
		e.realms.Delete(iam.MasterRealm)
		_, _, err := e.svc.EnsureAdmin(bg(), "admin", "pw")
		wantCode(t, err, iam.CodeNotFound)
	})
}

func TestUpdateAccountKeepsUsername(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	other, same, first := "mallory", "ALICE", "Alice"
	_, err := e.svc.UpdateAccount(bg(), "acme", u.ID, users.AccountPatch{Username: &other})
	wantField(t, err, "username")
	got, err := e.svc.UpdateAccount(bg(), "acme", u.ID, users.AccountPatch{Username: &same, FirstName: &first})
	if err != nil || got.FirstName != "Alice" || got.Username != "alice" {
		t.Fatalf("UpdateAccount = %+v, %v", got, err)
	}
}

func TestImport(t *testing.T) {
	e := newEnv(t)
	t.Run("InvalidUserIsNamedByIndex", func(t *testing.T) {
		_, err := e.svc.Import(bg(), "acme", users.ImportFail, []users.ImportUser{
			{User: users.User{Username: "a"}}, {User: users.User{Username: "b", Email: "nope"}}})
		wantField(t, err, "users[1].email")
	})
	t.Run("DuplicateUsernameInBatch", func(t *testing.T) {
		_, err := e.svc.Import(bg(), "acme", users.ImportFail, []users.ImportUser{
			{User: users.User{Username: "a"}}, {User: users.User{Username: "A"}}})
		wantField(t, err, "users[1].username")
	})
	t.Run("UnknownMode", func(t *testing.T) {
		_, err := e.svc.Import(bg(), "acme", "MERGE", nil)
		wantField(t, err, "ifResourceExists")
	})
	t.Run("BadHashIsInvalid", func(t *testing.T) {
		_, err := e.svc.Import(bg(), "acme", users.ImportFail, []users.ImportUser{
			{User: users.User{Username: "a"}, Credentials: []users.NewCredential{{Hash: "$md5$nope"}}}})
		wantField(t, err, "users[0].credentials")
	})
	t.Run("AddsAndEmitsCreated", func(t *testing.T) {
		res, err := e.svc.Import(bg(), "acme", "", []users.ImportUser{
			{User: users.User{Username: "x1", Enabled: true}, Credentials: []users.NewCredential{{Value: "pw", Temporary: true}}},
			{User: users.User{Username: "x2"}}})
		if err != nil || res.Added != 2 || len(res.Outcomes) != 2 {
			t.Fatalf("Import = %+v, %v", res, err)
		}
		if !slices.Contains(res.Outcomes[0].User.RequiredActions, users.ActionUpdatePassword) {
			t.Fatalf("temporary credential: %+v", res.Outcomes[0].User)
		}
		if n := strings.Count(strings.Join(e.pub.topics(), ","), iam.TopicUserCreated); n != 2 {
			t.Fatalf("%d user.created events", n)
		}
		var d users.UserData
		if err := e.pub.last(t, iam.TopicUserCreated).Decode(&d); err != nil || !d.Imported || d.Username != "x2" {
			t.Fatalf("an imported user's user.created = %+v, %v; want imported", d, err)
		}
		if _, err := e.svc.Authenticate(bg(), "acme", "x1", "pw"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListNormalisesFilter(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"Anna", "annabel", "bob"} {
		if _, err := e.svc.Create(bg(), "acme", users.User{Username: n}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		search string
		want   []string
	}{
		{"ANN", []string{"anna", "annabel"}},
		{"ann*", []string{"anna", "annabel"}},
		{"*NAB*", []string{"annabel"}},
		{`"anna"`, []string{"anna"}},
		{"nab", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.search, func(t *testing.T) {
			list, err := e.svc.List(bg(), "acme", users.Filter{Search: tt.search})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, u := range list {
				got = append(got, u.Username)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("search %q = %v, want %v", tt.search, got, tt.want)
			}
		})
	}
	list, _ := e.svc.List(bg(), "acme", users.Filter{Max: 1_000_000})
	if len(list) != 3 {
		t.Fatalf("huge max: %d users", len(list))
	}
	_, err := e.svc.List(bg(), "acme", users.Filter{First: -1})
	wantField(t, err, "first")
}
