package opengate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam"
)

// Issue 10 §19: what a caller of one realm gets from another realm, as the
// docs say (api.md, architecture.md): a token of another realm than the
// path's is 403 (master administrators excepted) on the admin API and the
// account API alike; an object of another realm addressed under the
// path's own realm is 404, never another tenant's data.
func TestCrossRealmAnswers(t *testing.T) {
	e := embed(t, opengate.Config{})
	c := adminCallers(t, e)
	acmeUser, err := e.Users.GetByUsername(context.Background(), "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		method, path string
		token        string
		want         int
		code         iam.Code
	}{
		{"AnotherRealmsAdminOnTheAdminAPI", "GET", "/admin/realms/acme/users", c.betaAdmin, 403, iam.CodeForbidden},
		{"AnotherRealmsAdminOnAnObject", "GET", "/admin/realms/acme/users/" + acmeUser.ID, c.betaAdmin, 403, iam.CodeForbidden},
		{"AnotherRealmsTokenOnTheAccountAPI", "GET", "/realms/beta/account", c.acmeUser, 403, iam.CodeForbidden},
		{"AnotherRealmsUserUnderTheAdminsOwnRealm", "GET", "/admin/realms/beta/users/" + acmeUser.ID, c.betaAdmin, 404, iam.CodeNotFound},
		{"AnotherRealmsUserUnderAnyRealmForTheMasterAdmin", "GET", "/admin/realms/beta/users/" + acmeUser.ID, c.masterAdmin, 404, iam.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := e.must(t, tt.want, tt.method, tt.path, tt.token, "")
			if !strings.Contains(body, `"`+string(tt.code)+`"`) || strings.Contains(body, `"alice"`) {
				t.Fatalf("answer %s, want error %s and no data of the user", body, tt.code)
			}
		})
	}
}
