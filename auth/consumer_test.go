package auth_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

func credentialsChanged(t *testing.T, keep string) iam.Event {
	t.Helper()
	e, err := users.CredentialsChangedEvent(alice, users.CredentialsChanged, keep)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCredentialsChangeEndsEverySessionButTheKeptOne(t *testing.T) {
	e := newEnv(t)
	attacker := e.passwordLogin("openid")
	victim := e.passwordLogin("openid")
	keep := jwtPart(t, victim.AccessToken, 1)["sid"].(string)

	if err := e.svc.HandleEvent(context.Background(), credentialsChanged(t, keep)); err != nil {
		t.Fatal(err)
	}
	_, err := e.token(refreshReq(attacker.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if e.introspect(attacker.AccessToken).Active {
		t.Error("access token of an ended session is active")
	}
	if !e.introspect(victim.AccessToken).Active {
		t.Error("access token of the kept session is inactive")
	}
	e.mustToken(refreshReq(victim.RefreshToken, "app", "app-secret"))
}

func TestCredentialsChangeWithoutKeptSessionEndsThemAll(t *testing.T) {
	e := newEnv(t)
	a, b := e.passwordLogin("openid"), e.passwordLogin("openid")
	ev := credentialsChanged(t, "")
	for range 2 { // redelivery is harmless
		if err := e.svc.HandleEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range []*auth.Tokens{a, b} {
		_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
		wantOAuth(t, err, auth.ErrorInvalidGrant)
	}
}

func TestRealmDeletionForgetsItsTokens(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	ev, err := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.HandleEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	// A refresh token of the deleted realm is unknown, even to a realm of
	// the same name (the directory still has "acme").
	_, err = e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if e.introspect(tok.RefreshToken).Active {
		t.Error("refresh token of a deleted realm introspects active")
	}
}
