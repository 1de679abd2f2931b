package users_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// credentialsChanged returns the data of the user.credentials_changed
// events published so far.
func (e *env) credentialsChanged(t *testing.T) []users.CredentialsChangedData {
	t.Helper()
	var out []users.CredentialsChangedData
	for _, ev := range e.pub.events {
		if ev.Type != iam.TopicUserCredentialsChanged {
			continue
		}
		var d users.CredentialsChangedData
		if err := ev.Decode(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestCredentialChangesEndSessions(t *testing.T) {
	self := func(u users.User) context.Context {
		return iam.WithPrincipal(bg(), &iam.Principal{Subject: u.ID, Realm: "acme", SessionID: "my-session"})
	}
	admin := iam.WithPrincipal(bg(), &iam.Principal{Subject: "admin-id", Realm: iam.MasterRealm, SessionID: "admin-session"})
	tests := []struct {
		name       string
		change     func(e *env, u users.User) error
		wantReason string
		wantKeep   string
	}{
		{"OwnChangeKeepsTheCallersSession", func(e *env, u users.User) error {
			return e.svc.ChangePassword(self(u), "acme", u.ID, "old-pw", "new-pw")
		}, users.CredentialsChanged, "my-session"},
		{"AdminResetEndsEverySession", func(e *env, u users.User) error {
			return e.svc.SetPassword(admin, "acme", u.ID, "new-pw", false)
		}, users.CredentialsSetByAdmin, ""},
		{"ResetThroughTheEmailedLinkEndsEverySession", func(e *env, u users.User) error {
			if err := e.svc.RequestPasswordReset(bg(), "acme", u.Username); err != nil {
				return err
			}
			_, key := link(t, e, iam.TopicUserPasswordResetRequested)
			return e.svc.ResetPassword(bg(), "acme", key, "new-pw")
		}, users.CredentialsReset, ""},
		{"AdminRemovingTheCredentialEndsEverySession", func(e *env, u users.User) error {
			creds, err := e.svc.Credentials(bg(), "acme", u.ID)
			if err != nil {
				return err
			}
			return e.svc.DeleteCredential(admin, "acme", u.ID, creds[0].ID)
		}, users.CredentialsRemoved, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.alice(t, "old-pw")
			if err := tt.change(e, u); err != nil {
				t.Fatal(err)
			}
			got := e.credentialsChanged(t)
			want := users.CredentialsChangedData{ID: u.ID, Username: u.Username, Reason: tt.wantReason, KeepSessionID: tt.wantKeep}
			if len(got) != 1 || got[0] != want {
				t.Fatalf("user.credentials_changed = %+v, want [%+v]", got, want)
			}
		})
	}
	t.Run("FailedChangeEndsNothing", func(t *testing.T) {
		e := newEnv(t)
		u := e.alice(t, "old-pw")
		wantField(t, e.svc.ChangePassword(self(u), "acme", u.ID, "wrong", "new-pw"), "currentPassword")
		if got := e.credentialsChanged(t); len(got) != 0 {
			t.Fatalf("events = %+v", got)
		}
	})
}
