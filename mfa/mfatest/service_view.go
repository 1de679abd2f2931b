package mfatest

import (
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

func testCredentials(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	if creds, err := f.svc.Credentials(ctx(t), "acme", "u1"); err != nil || len(creds) != 0 {
		t.Fatalf("Credentials of a user without factors = %+v, %v", creds, err)
	}
	a := f.enrol("u1")
	f.start("u1") // pending: not a credential
	f.recoveryCodes("u1")
	creds, err := f.svc.Credentials(ctx(t), "acme", "u1")
	must(t, err)
	if len(creds) != 2 || creds[0].ID != a.FactorID || creds[0].Type != mfa.CredentialOTP || creds[0].UserLabel != "Phone" ||
		!creds[0].CreatedAt.Equal(t0) || creds[0].Hash != "" || creds[1].Type != mfa.CredentialRecoveryCodes {
		t.Fatalf("Credentials = %+v", creds)
	}
	must(t, f.svc.DeleteCredential(ctx(t), "acme", "u1", a.FactorID))
	if creds, _ := f.svc.Credentials(ctx(t), "acme", "u1"); len(creds) != 0 {
		t.Fatalf("after deleting the authenticator: %+v", creds)
	}
	wantCode(t, f.svc.DeleteCredential(ctx(t), "acme", "u1", a.FactorID), iam.CodeNotFound)
}

func testConsumer(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	f.enrol("u1")
	f.enrol("u2")
	code := f.send() // u1's
	deleted, err := iam.NewEvent("/opengate/users", iam.TopicUserDeleted, "acme", "u1", map[string]string{"id": "u1"})
	must(t, err)
	for range 2 { // redelivered
		must(t, f.svc.HandleEvent(ctx(t), deleted))
	}
	if list := f.factors("u1"); len(list) != 0 {
		t.Fatalf("a deleted user keeps %+v", list)
	}
	f.wantVerify("u1", code, mfa.ReasonNoFactor)
	if list := f.factors("u2"); len(list) != 1 {
		t.Fatalf("u2's factors = %+v", list)
	}
	realmDeleted, err := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", nil)
	must(t, err)
	must(t, f.svc.HandleEvent(ctx(t), realmDeleted))
	if list := f.factors("u2"); len(list) != 0 {
		t.Fatalf("a deleted realm's user keeps %+v", list)
	}
	other, _ := iam.NewEvent("/opengate/users", iam.TopicUserCreated, "acme", "u3", nil)
	must(t, f.svc.HandleEvent(ctx(t), other))
	bad := deleted
	bad.ID = ""
	wantCode(t, f.svc.HandleEvent(ctx(t), bad), iam.CodeInvalid)
}
