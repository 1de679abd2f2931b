package users_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userstest"
)

// link returns the action data of the last event of topic, its opened
// link and its key.
func link(t *testing.T, e *env, topic string) (users.ActionRequestedData, string) {
	t.Helper()
	return userstest.ActionKey(t, e.links, e.pub.last(t, topic))
}

// openLink returns the opened link of the last event of topic.
func openLink(t *testing.T, e *env, topic string) string {
	t.Helper()
	_, l, err := users.OpenActionLink(e.links, e.pub.last(t, topic))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSendVerifyEmail(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	if err := e.svc.SendVerifyEmail(bg(), "acme", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	d, key := link(t, e, iam.TopicUserVerifyEmailRequested)
	if l := openLink(t, e, iam.TopicUserVerifyEmailRequested); !strings.HasPrefix(l, "https://id.example.com/realms/acme/login-actions/verify-email?key=") || len(key) < 40 {
		t.Fatalf("link = %q", l)
	}
	t.Run("TheEventCarriesNoKeyInClear", func(t *testing.T) {
		raw := e.pub.last(t, iam.TopicUserVerifyEmailRequested)
		if strings.Contains(string(raw.Data), key) || strings.Contains(string(raw.Data), "login-actions") {
			t.Fatalf("event data has the link in clear: %s", raw.Data)
		}
		other := raw
		other.ID = iam.NewID()
		if _, _, err := users.OpenActionLink(e.links, other); iam.ErrorCode(err) != iam.CodeInternal {
			t.Fatalf("a sealed link moved to another event opens: %v", err)
		}
		if _, _, err := users.OpenActionLink(userstest.NewLinkSealer(t), raw); iam.ErrorCode(err) != iam.CodeInternal {
			t.Fatalf("another deployment key opens the link: %v", err)
		}
	})
	if d.Email != "alice@example.com" || d.ID != u.ID || !d.ExpiresAt.Equal(e.clock.Now().Add(users.DefaultVerifyEmailLifespan)) {
		t.Fatalf("data = %+v", d)
	}
	t.Run("TokenIsStoredHashedOnly", func(t *testing.T) {
		if _, err := e.store.GetToken(bg(), "acme", key); iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatal("the raw token is a store key")
		}
		if _, err := e.store.GetToken(bg(), "acme", users.TokenHash(key)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WrongKindOfTokenIsInvalid", func(t *testing.T) {
		wantField(t, e.svc.ResetPassword(bg(), "acme", key, "new"), "key")
	})
	got, err := e.svc.VerifyEmail(bg(), "acme", key)
	if err != nil || !got.EmailVerified {
		t.Fatalf("VerifyEmail = %+v, %v", got, err)
	}
	var v users.EmailVerifiedData
	if err := e.pub.last(t, iam.TopicUserEmailVerified).Decode(&v); err != nil || v.Email != "alice@example.com" {
		t.Fatalf("email_verified = %+v, %v", v, err)
	}
	_, err = e.svc.VerifyEmail(bg(), "acme", key)
	wantField(t, err, "key")
	t.Run("Preconditions", func(t *testing.T) {
		nomail, _ := e.svc.Create(bg(), "acme", users.User{Username: "nomail", Enabled: true})
		wantField(t, e.svc.SendVerifyEmail(bg(), "acme", nomail.ID, 0), "email")
		off, _ := e.svc.Create(bg(), "acme", users.User{Username: "off", Email: "off@example.com"})
		wantField(t, e.svc.SendVerifyEmail(bg(), "acme", off.ID, 0), "enabled")
		wantField(t, e.svc.SendVerifyEmail(bg(), "acme", u.ID, 31*24*time.Hour), "lifespan")
		wantCode(t, e.svc.SendVerifyEmail(bg(), "other", u.ID, 0), iam.CodeNotFound)
	})
}

func TestVerifyEmailRejects(t *testing.T) {
	t.Run("Expired", func(t *testing.T) {
		e := newEnv(t)
		u := e.alice(t, "pw")
		if err := e.svc.SendVerifyEmail(bg(), "acme", u.ID, time.Minute); err != nil {
			t.Fatal(err)
		}
		_, key := link(t, e, iam.TopicUserVerifyEmailRequested)
		e.clock.Advance(time.Minute)
		_, err := e.svc.VerifyEmail(bg(), "acme", key)
		wantField(t, err, "key")
	})
	t.Run("EmailChangedSinceSending", func(t *testing.T) {
		e := newEnv(t)
		u := e.alice(t, "pw")
		if err := e.svc.SendVerifyEmail(bg(), "acme", u.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, key := link(t, e, iam.TopicUserVerifyEmailRequested)
		other := "mallory@example.com"
		if _, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{Email: &other}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.VerifyEmail(bg(), "acme", key)
		wantField(t, err, "key")
		got, _ := e.svc.Get(bg(), "acme", u.ID)
		if got.EmailVerified {
			t.Fatal("the new address was verified by a link sent to the old one")
		}
	})
	t.Run("GarbageKeys", func(t *testing.T) {
		e := newEnv(t)
		for _, k := range []string{"", "nope", strings.Repeat("k", 10_000)} {
			_, err := e.svc.VerifyEmail(bg(), "acme", k)
			wantField(t, err, "key")
		}
	})
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	e.policy(realms.PasswordPolicy{MinLength: 8})
	u := e.alice(t, "old-password")
	t.Run("UnknownUserGetsTheSameAnswerAndNoMail", func(t *testing.T) {
		for _, login := range []string{"mallory", "nobody@example.com", ""} {
			if err := e.svc.RequestPasswordReset(bg(), "acme", login); err != nil {
				t.Fatalf("%q: %v", login, err)
			}
		}
		if slices.Contains(e.pub.topics(), iam.TopicUserPasswordResetRequested) {
			t.Fatal("a reset was mailed for an unknown user")
		}
	})
	if err := e.svc.RequestPasswordReset(bg(), "acme", "ALICE"); err != nil {
		t.Fatal(err)
	}
	d, key := link(t, e, iam.TopicUserPasswordResetRequested)
	if !strings.HasPrefix(openLink(t, e, iam.TopicUserPasswordResetRequested), "https://id.example.com/realms/acme/login-actions/reset-credentials?key=") ||
		!d.ExpiresAt.Equal(e.clock.Now().Add(users.DefaultResetLifespan)) {
		t.Fatalf("data = %+v", d)
	}
	t.Run("PolicyViolationKeepsTokenUsable", func(t *testing.T) {
		err := e.svc.ResetPassword(bg(), "acme", key, "short")
		wantField(t, err, "password")
		contains(t, iam.ErrorMessage(err), "at least 8 characters")
	})
	t.Run("OtherRealmCannotUseIt", func(t *testing.T) {
		wantField(t, e.svc.ResetPassword(bg(), "other", key, "long-enough"), "key")
	})
	if err := e.svc.ResetPassword(bg(), "acme", key, "new-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "new-password"); err != nil {
		t.Fatal(err)
	}
	wantField(t, e.svc.ResetPassword(bg(), "acme", key, "third-password"), "key")
	t.Run("NewRequestInvalidatesOlderLink", func(t *testing.T) {
		if err := e.svc.RequestPasswordReset(bg(), "acme", "alice"); err != nil {
			t.Fatal(err)
		}
		_, first := link(t, e, iam.TopicUserPasswordResetRequested)
		if err := e.svc.RequestPasswordReset(bg(), "acme", "alice"); err != nil {
			t.Fatal(err)
		}
		_, second := link(t, e, iam.TopicUserPasswordResetRequested)
		wantField(t, e.svc.ResetPassword(bg(), "acme", first, "another-password"), "key")
		if err := e.svc.ResetPassword(bg(), "acme", second, "another-password"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		if err := e.svc.RequestPasswordReset(bg(), "acme", "alice"); err != nil {
			t.Fatal(err)
		}
		_, k := link(t, e, iam.TopicUserPasswordResetRequested)
		e.clock.Advance(users.DefaultResetLifespan + time.Second)
		wantField(t, e.svc.ResetPassword(bg(), "acme", k, "yet-another-one"), "key")
	})
	t.Run("DisabledUserGetsNoMail", func(t *testing.T) {
		f := false
		if _, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{Enabled: &f}); err != nil {
			t.Fatal(err)
		}
		n := len(e.pub.topics())
		if err := e.svc.RequestPasswordReset(bg(), "acme", "alice"); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(e.pub.topics()[n:], iam.TopicUserPasswordResetRequested) {
			t.Fatal("reset mailed to a disabled user")
		}
	})
}

func TestExecuteActionsEmail(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	err := e.svc.ExecuteActionsEmail(bg(), "acme", u.ID, []string{users.ActionUpdatePassword, users.ActionVerifyEmail,
		users.ActionConfigureTOTP}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(bg(), "acme", u.ID)
	if len(got.RequiredActions) != 3 {
		t.Fatalf("required actions = %v", got.RequiredActions)
	}
	d, key := link(t, e, iam.TopicUserPasswordResetRequested)
	if len(d.RequiredActions) != 3 || !d.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("reset data = %+v", d)
	}
	_, vkey := link(t, e, iam.TopicUserVerifyEmailRequested)
	if err := e.svc.ResetPassword(bg(), "acme", key, "brand-new"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.VerifyEmail(bg(), "acme", vkey); err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.Get(bg(), "acme", u.ID)
	if !slices.Equal(got.RequiredActions, []string{users.ActionConfigureTOTP}) || !got.EmailVerified {
		t.Fatalf("after both links: %+v", got)
	}
	wantField(t, e.svc.ExecuteActionsEmail(bg(), "acme", u.ID, nil, 0), "actions")
	wantField(t, e.svc.ExecuteActionsEmail(bg(), "acme", u.ID, []string{"DANCE"}, 0), "requiredActions")
}

// Without a link sealer no link is issued: a link never travels in clear,
// and no token is stored that no mail could carry.
func TestActionLinksNeedALinkSealer(t *testing.T) {
	e := newEnv(t, users.WithLinkSealer(nil))
	u := e.alice(t, "pw")
	wantCode(t, e.svc.SendVerifyEmail(bg(), "acme", u.ID, 0), iam.CodeInternal)
	wantCode(t, e.svc.RequestPasswordReset(bg(), "acme", "alice"), iam.CodeInternal)
	if slices.Contains(e.pub.topics(), iam.TopicUserVerifyEmailRequested) {
		t.Fatal("an event was published without a sealer")
	}
}
