package users_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// factorCreds is a hand-written FactorCredentials over a map of id → type.
type factorCreds struct {
	creds   map[string]string
	deleted []string
}

func (f *factorCreds) Credentials(_ context.Context, _ iam.Realm, _ string) ([]users.Credential, error) {
	var out []users.Credential
	for id, typ := range f.creds {
		out = append(out, users.Credential{ID: id, Type: typ, UserLabel: "Phone", CreatedAt: time.Unix(1, 0)})
	}
	return out, nil
}

func (f *factorCreds) DeleteCredential(_ context.Context, _ iam.Realm, _, credID string) error {
	if _, ok := f.creds[credID]; !ok {
		return iam.NotFoundf("factor not found")
	}
	delete(f.creds, credID)
	f.deleted = append(f.deleted, credID)
	return nil
}

func TestCredentialsShowSecondFactorsBesideThePassword(t *testing.T) {
	factors := &factorCreds{creds: map[string]string{"otp-1": "otp"}}
	e := newEnv(t, users.WithFactorCredentials(factors))
	u := e.alice(t, "pw")
	creds, err := e.svc.Credentials(bg(), "acme", u.ID)
	if err != nil || len(creds) != 2 || creds[0].Type != users.CredentialPassword || creds[1].ID != "otp-1" || creds[1].Type != "otp" {
		t.Fatalf("Credentials = %+v, %v", creds, err)
	}
	// The password's id removes the password, not a factor.
	if err := e.svc.DeleteCredential(bg(), "acme", u.ID, creds[0].ID); err != nil {
		t.Fatal(err)
	}
	if len(factors.deleted) != 0 {
		t.Fatalf("deleting the password removed factors %v", factors.deleted)
	}
	// Another id goes to the factors, also for a user without a password.
	if err := e.svc.DeleteCredential(bg(), "acme", u.ID, "otp-1"); err != nil || !slices.Equal(factors.deleted, []string{"otp-1"}) {
		t.Fatalf("DeleteCredential(otp-1) = %v, deleted %v", err, factors.deleted)
	}
	err = e.svc.DeleteCredential(bg(), "acme", u.ID, "otp-1")
	wantCode(t, err, iam.CodeNotFound)
	if creds, _ := e.svc.Credentials(bg(), "acme", u.ID); len(creds) != 0 {
		t.Fatalf("after both removals: %+v", creds)
	}
	wantCode(t, e.svc.DeleteCredential(bg(), "acme", "no-such-user", "otp-1"), iam.CodeNotFound)
}

func TestCompleteRequiredAction(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	actions := []string{users.ActionConfigureTOTP, users.ActionVerifyEmail}
	if _, err := e.svc.Update(bg(), "acme", u.ID, users.Patch{RequiredActions: &actions}); err != nil {
		t.Fatal(err)
	}
	before := len(e.pub.topics())
	if err := e.svc.CompleteRequiredAction(bg(), "acme", u.ID, users.ActionConfigureTOTP); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(bg(), "acme", u.ID)
	if !slices.Equal(got.RequiredActions, []string{users.ActionVerifyEmail}) {
		t.Fatalf("required actions = %v", got.RequiredActions)
	}
	if topics := e.pub.topics()[before:]; !slices.Equal(topics, []string{iam.TopicUserUpdated}) {
		t.Fatalf("events = %v, want one user.updated", topics)
	}
	// Completing an action the user does not have changes nothing.
	if err := e.svc.CompleteRequiredAction(bg(), "acme", u.ID, users.ActionConfigureTOTP); err != nil {
		t.Fatal(err)
	}
	if n := len(e.pub.topics()); n != before+1 {
		t.Fatalf("a no-op completion recorded events")
	}
	wantField(t, e.svc.CompleteRequiredAction(bg(), "acme", u.ID, "DANCE"), "action")
	wantCode(t, e.svc.CompleteRequiredAction(bg(), "acme", "no-such-user", users.ActionConfigureTOTP), iam.CodeNotFound)
}
