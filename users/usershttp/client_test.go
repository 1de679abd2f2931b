package usershttp_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// userAuthenticator is what the auth service needs; both the Service and
// the Client must satisfy it.
type userAuthenticator interface {
	Authenticate(ctx context.Context, realm iam.Realm, usernameOrEmail, password string) (users.User, error)
	Get(ctx context.Context, realm iam.Realm, id string) (users.User, error)
	GetByUsername(ctx context.Context, realm iam.Realm, username string) (users.User, error)
	Find(ctx context.Context, realm iam.Realm, usernameOrEmail string) (users.User, error)
}

var (
	_ userAuthenticator = (*users.Service)(nil)
	_ userAuthenticator = (*usershttp.Client)(nil)
)

func TestClientAgainstHandler(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	if _, err := f.svc.Create(t.Context(), "acme", users.User{Username: "dora", Enabled: false},
		users.NewCredential{Value: "dora-pw"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	c := usershttp.NewClient(srv.URL+"/", serviceToken)
	ctx := t.Context()

	u, err := c.Authenticate(ctx, "acme", "alice@example.com", "alice-pw")
	if err != nil || u.ID != id || u.Username != "alice" || u.Email != "alice@example.com" || !u.Enabled || u.Realm != "acme" ||
		u.CreatedAt.IsZero() {
		t.Fatalf("Authenticate = %+v, %v", u, err)
	}
	for _, tt := range []struct {
		login, pw string
		reason    error
	}{
		{"mallory", "x", users.ErrUnknownUser},
		{"alice", "wrong", users.ErrBadCredentials},
		{"dora", "dora-pw", users.ErrDisabled},
	} {
		_, err := c.Authenticate(ctx, "acme", tt.login, tt.pw)
		if iam.ErrorCode(err) != iam.CodeUnauthenticated || iam.ErrorMessage(err) != users.AuthFailedMessage || !errors.Is(err, tt.reason) {
			t.Fatalf("Authenticate(%s) = %v, want cause %v", tt.login, err, tt.reason)
		}
	}
	for name, get := range map[string]func() (users.User, error){
		"Get":           func() (users.User, error) { return c.Get(ctx, "acme", id) },
		"GetByUsername": func() (users.User, error) { return c.GetByUsername(ctx, "acme", "ALICE") },
		"Find":          func() (users.User, error) { return c.Find(ctx, "acme", "alice@example.com") },
	} {
		if u, err := get(); err != nil || u.ID != id {
			t.Fatalf("%s = %+v, %v", name, u, err)
		}
	}
	_, err = c.Get(ctx, "acme", "0b3f5b2a-8c1e-4d5f-9a6b-7c8d9e0f1a2b")
	if iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Get(missing) = %v", err)
	}
	_, err = c.GetByUsername(ctx, "missing", "alice")
	if iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("missing realm = %v", err)
	}
	_, err = c.Authenticate(ctx, "Bad_Realm", "alice", "alice-pw")
	if iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("bad realm = %v", err)
	}
	t.Run("CompleteRequiredAction", func(t *testing.T) {
		actions := []string{users.ActionConfigureTOTP}
		if _, err := f.svc.Update(ctx, "acme", id, users.Patch{RequiredActions: &actions}); err != nil {
			t.Fatal(err)
		}
		if err := c.CompleteRequiredAction(ctx, "acme", id, users.ActionConfigureTOTP); err != nil {
			t.Fatal(err)
		}
		if u, _ := f.svc.Get(ctx, "acme", id); len(u.RequiredActions) != 0 {
			t.Fatalf("required actions = %v", u.RequiredActions)
		}
		if err := c.CompleteRequiredAction(ctx, "acme", id, "DANCE"); iam.ErrorCode(err) != iam.CodeInvalid {
			t.Fatalf("unknown action = %v", err)
		}
	})
	t.Run("WrongServiceTokenIsNotAFailedLogin", func(t *testing.T) {
		bad := usershttp.NewClient(srv.URL, "wrong-token")
		_, err := bad.Authenticate(ctx, "acme", "alice", "alice-pw")
		if iam.ErrorCode(err) == iam.CodeUnauthenticated || err == nil {
			t.Fatalf("wrong token = %v", err)
		}
		_, err = bad.Get(ctx, "acme", id)
		if iam.ErrorCode(err) != iam.CodeForbidden {
			t.Fatalf("wrong token Get = %v", err)
		}
	})
	t.Run("NoTokenConfiguredRefusesAll", func(t *testing.T) {
		h := usershttp.NewHandler(f.svc)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		_, err := usershttp.NewClient(srv.URL, "").Get(ctx, "acme", id)
		if iam.ErrorCode(err) != iam.CodeForbidden {
			t.Fatalf("no token = %v", err)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		srv := httptest.NewServer(f.h)
		srv.Close()
		_, err := usershttp.NewClient(srv.URL, serviceToken).Get(ctx, "acme", id)
		if iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Fatalf("unreachable = %v", err)
		}
	})
}

func TestClientSendVerifyEmail(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	if err := usershttp.NewClient(srv.URL, serviceToken).SendVerifyEmail(ctx, "acme", id, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := f.pub.count(iam.TopicUserVerifyEmailRequested); n != 1 {
		t.Fatalf("%d verify_email_requested events, want 1", n)
	}
	if key := f.pub.key(t, iam.TopicUserVerifyEmailRequested); key == "" {
		t.Fatal("no link")
	}
	for name, tt := range map[string]struct {
		c    *usershttp.Client
		id   string
		code iam.Code
	}{
		"UnknownUserIsNotFound":      {usershttp.NewClient(srv.URL, serviceToken), iam.NewID(), iam.CodeNotFound},
		"WrongServiceTokenIsRefused": {usershttp.NewClient(srv.URL, "wrong"), id, iam.CodeForbidden},
	} {
		t.Run(name, func(t *testing.T) {
			if err := tt.c.SendVerifyEmail(ctx, "acme", tt.id, 0); iam.ErrorCode(err) != tt.code {
				t.Fatalf("SendVerifyEmail = %v, want %s", err, tt.code)
			}
		})
	}
}
