package usershttp_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

// selfService is what auth's login and account pages need of the users
// service: the Service and the Client both satisfy it.
type selfService interface {
	UpdateAccount(ctx context.Context, realm iam.Realm, id string, p users.AccountPatch) (users.User, error)
	ChangePassword(ctx context.Context, realm iam.Realm, id, current, pw string) error
	UpdatePassword(ctx context.Context, realm iam.Realm, id, pw string) error
	Register(ctx context.Context, realm iam.Realm, in users.Registration) (users.User, error)
}

var (
	_ selfService = (*users.Service)(nil)
	_ selfService = (*usershttp.Client)(nil)
)

func TestClientSelfService(t *testing.T) {
	pub := &recorder{links: userstest.NewLinkSealer(t)}
	open := userstest.Realm("open")
	open.RegistrationAllowed = true
	svc := users.New(usersmem.New(pub), userstest.NewRealms(userstest.Realm("acme"), open),
		users.WithParams(userstest.FastParams), users.WithLinkSealer(pub.links))
	srv := httptest.NewServer(usershttp.NewHandler(svc, usershttp.WithServiceToken(serviceToken)))
	t.Cleanup(srv.Close)
	c := usershttp.NewClient(srv.URL, serviceToken)
	ctx := t.Context()

	if _, err := c.Register(ctx, "acme", users.Registration{Username: "zed", Email: "zed@example.com", Password: "zed-pw-1"}); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("registration where it is not allowed: %v", err)
	}
	u, err := c.Register(ctx, "open", users.Registration{Username: "Zed", Email: "zed@example.com", FirstName: "Zed", Password: "zed-pw-1"})
	if err != nil || u.Username != "zed" || !u.Enabled || u.Realm != "open" {
		t.Fatalf("Register = %+v, %v", u, err)
	}
	if _, err := c.Register(ctx, "open", users.Registration{Username: "zed", Email: "z2@example.com", Password: "pw"}); iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorField(err) != "username" {
		t.Fatalf("taken username: %v", err)
	}

	first := "Zedd"
	if got, err := c.UpdateAccount(ctx, "open", u.ID, users.AccountPatch{FirstName: &first}); err != nil || got.FirstName != "Zedd" {
		t.Fatalf("UpdateAccount = %+v, %v", got, err)
	}

	self := iam.WithPrincipal(ctx, &iam.Principal{Subject: u.ID, Realm: "open", SessionID: "sid-kept"})
	if err := c.ChangePassword(self, "open", u.ID, "wrong", "zed-pw-2"); iam.ErrorField(err) != "currentPassword" {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := c.ChangePassword(self, "open", u.ID, "zed-pw-1", "zed-pw-2"); err != nil {
		t.Fatal(err)
	}
	if keep := lastKeep(t, pub); keep != "sid-kept" {
		t.Fatalf("the password change keeps session %q, want the caller's", keep)
	}
	if err := c.UpdatePassword(self, "open", u.ID, "zed-pw-3"); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("UpdatePassword without UPDATE_PASSWORD: %v", err)
	}
	if err := svc.SetPassword(ctx, "open", u.ID, "temporary-1", true); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdatePassword(self, "open", u.ID, "zed-pw-3"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, "open", "zed", "zed-pw-3"); err != nil {
		t.Fatalf("the updated password: %v", err)
	}
	if keep := lastKeep(t, pub); keep != "sid-kept" {
		t.Fatalf("the password update keeps session %q", keep)
	}
}

// lastKeep returns keepSessionId of the last user.credentials_changed.
func lastKeep(t *testing.T, r *recorder) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Type == iam.TopicUserCredentialsChanged {
			var d users.CredentialsChangedData
			if err := r.events[i].Decode(&d); err != nil {
				t.Fatal(err)
			}
			return d.KeepSessionID
		}
	}
	t.Fatal("no user.credentials_changed")
	return ""
}

func TestBrowsersOpeningTheAccountAPIGoToTheAccountPages(t *testing.T) {
	f := newFixture(t)
	h := usershttp.NewHandler(f.svc, usershttp.WithAccountPages("https://id.example.com/"))
	for _, tt := range []struct {
		name, accept string
		principal    *iam.Principal
		want         int
	}{
		{"Browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", nil, 302},
		{"JSONClient", "application/json", nil, 401},
		{"NoAccept", "", nil, 401},
		{"AnythingGoes", "*/*", nil, 401},
		{"BrowserWithAToken", "text/html", acmeUser, 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/realms/acme/account", nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			if tt.principal != nil {
				r = r.WithContext(iam.WithPrincipal(r.Context(), tt.principal))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 302 && rec.Header().Get("Location") != "https://id.example.com/realms/acme/account/profile" {
				t.Fatalf("Location %q", rec.Header().Get("Location"))
			}
		})
	}
}
