package usershttp_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
)

func TestAccount(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	me := &iam.Principal{Subject: id, Realm: "acme", Username: "alice"}
	rec := f.do(me, "GET", "/realms/acme/account", nil)
	wantStatus(t, rec, http.StatusOK)
	got := decode[map[string]any](t, rec)
	if got["id"] != id || got["username"] != "alice" || got["email"] != "alice@example.com" {
		t.Fatalf("account = %v", got)
	}
	wantStatus(t, f.do(me, "POST", "/realms/acme/account", map[string]any{"username": "alice", "firstName": "Alice",
		"email": "new@example.com", "emailVerified": false}), http.StatusNoContent)
	u, _ := f.svc.Get(t.Context(), "acme", id)
	if u.FirstName != "Alice" || u.Email != "new@example.com" || u.EmailVerified {
		t.Fatalf("after update: %+v", u)
	}
	wantError(t, f.do(me, "POST", "/realms/acme/account", map[string]any{"username": "mallory"}), 400, iam.CodeInvalid, "username")
	wantError(t, f.do(me, "POST", "/realms/acme/account", map[string]any{"emailVerified": true}), 400, iam.CodeInvalid, "emailVerified")
	wantError(t, f.do(me, "POST", "/realms/acme/account", map[string]any{"attributes": map[string]any{"role": []string{"boss"}}}), 400, iam.CodeInvalid, "attributes")
	t.Run("Anonymous", func(t *testing.T) {
		wantError(t, f.do(nil, "GET", "/realms/acme/account", nil), 401, iam.CodeUnauthenticated, "")
	})
	t.Run("PrincipalOfAnotherRealmIs403AsAtTheGateway", func(t *testing.T) {
		stranger := &iam.Principal{Subject: id, Realm: "other"}
		wantError(t, f.do(stranger, "GET", "/realms/acme/account", nil), 403, iam.CodeForbidden, "")
		wantError(t, f.do(me, "GET", "/realms/other/account", nil), 403, iam.CodeForbidden, "")
		wantError(t, f.do(me, "POST", "/realms/other/account/credentials/password",
			map[string]string{"currentPassword": "alice-pw", "newPassword": "x", "confirmation": "x"}), 403, iam.CodeForbidden, "")
	})
	t.Run("ServiceAccountHasNoAccount", func(t *testing.T) {
		sa := &iam.Principal{Subject: "service-account-123", Realm: "acme", ClientID: "app"}
		wantError(t, f.do(sa, "GET", "/realms/acme/account", nil), 404, iam.CodeNotFound, "")
	})
	t.Run("ChangePassword", func(t *testing.T) {
		path := "/realms/acme/account/credentials/password"
		wantError(t, f.do(me, "POST", path, map[string]string{"currentPassword": "wrong", "newPassword": "n-pw", "confirmation": "n-pw"}),
			400, iam.CodeInvalid, "currentPassword")
		wantError(t, f.do(me, "POST", path, map[string]string{"currentPassword": "alice-pw", "newPassword": "n-pw", "confirmation": "other"}),
			400, iam.CodeInvalid, "confirmation")
		res := f.do(me, "POST", path, map[string]string{"currentPassword": "alice-pw", "newPassword": "n-pw", "confirmation": "n-pw"})
		wantStatus(t, res, http.StatusOK)
		if got := decode[map[string]any](t, res); got["otherSessionsSignedOut"] != true || got["message"] == "" {
			t.Fatalf("answer = %v, want it to say the other sessions were signed out", got)
		}
		if _, err := f.svc.Authenticate(t.Context(), "acme", "alice", "n-pw"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRealmIsolation: a user of acme is not found through any endpoint of
// other, even for an administrator of other (404, never 403 or the user).
func TestRealmIsolation(t *testing.T) {
	f := newFixture(t)
	id := f.alice()
	creds := decode[[]map[string]any](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/"+id+"/credentials", nil))
	credID := creds[0]["id"].(string)
	base := "/admin/realms/other/users/" + id
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", base, nil},
		{"PUT", base, map[string]any{"firstName": "x"}},
		{"DELETE", base, nil},
		{"PUT", base + "/reset-password", map[string]any{"value": "x"}},
		{"GET", base + "/credentials", nil},
		{"DELETE", base + "/credentials/" + credID, nil},
		{"PUT", base + "/send-verify-email", nil},
		{"PUT", base + "/execute-actions-email", []string{"UPDATE_PASSWORD"}},
	} {
		for _, p := range []*iam.Principal{otherAdmin, masterAdmin} {
			t.Run(c.method+" "+strings.TrimPrefix(c.path, base)+" as "+string(p.Realm), func(t *testing.T) {
				wantError(t, f.do(p, c.method, c.path, c.body), 404, iam.CodeNotFound, "")
			})
		}
	}
	t.Run("SearchAndCount", func(t *testing.T) {
		for _, q := range []string{"", "?search=alice", "?username=alice&exact=true", "?email=alice@example.com"} {
			if got := decode[[]map[string]any](t, f.do(otherAdmin, "GET", "/admin/realms/other/users"+q, nil)); len(got) != 0 {
				t.Fatalf("other lists %v", got)
			}
		}
		rec := f.do(otherAdmin, "GET", "/admin/realms/other/users/count?search=alice", nil)
		if strings.TrimSpace(rec.Body.String()) != "0" {
			t.Fatalf("count = %s", rec.Body)
		}
	})
	t.Run("AcmeIsUnchanged", func(t *testing.T) {
		u, err := f.svc.Get(t.Context(), "acme", id)
		if err != nil || u.FirstName != "" || !u.Enabled {
			t.Fatalf("acme's alice = %+v, %v", u, err)
		}
		if _, err := f.svc.Authenticate(t.Context(), "acme", "alice", "alice-pw"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Internal", func(t *testing.T) {
		c := usershttp.NewClient("http://users.invalid", serviceToken, usershttp.WithHTTPClient(&http.Client{Transport: handlerTransport{f.h}}))
		_, err := c.Get(t.Context(), "other", id)
		if iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatalf("Get across realms: %v", err)
		}
		_, err = c.Authenticate(t.Context(), "other", "alice", "alice-pw")
		if !errors.Is(err, users.ErrUnknownUser) {
			t.Fatalf("Authenticate across realms: %v", err)
		}
	})
	t.Run("ImportDoesNotTouchIt", func(t *testing.T) {
		rec := f.importUsers(otherAdmin, "other", map[string]any{"ifResourceExists": "FAIL",
			"users": []any{map[string]any{"username": "alice"}}})
		wantStatus(t, rec, http.StatusOK)
	})
}

// handlerTransport serves requests with a handler, without a network.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
