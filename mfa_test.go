package opengate_test

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/users"
)

// passwordGrant runs alice's password grant with otp ("" for none) and
// returns the status and the decoded answer.
func (e embedded) passwordGrant(t *testing.T, realm, username, password, otp string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {username}, "password": {password}}
	if otp != "" {
		form.Set("totp", otp)
	}
	resp, err := http.PostForm(e.URL+"/realms/"+realm+"/protocol/openid-connect/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// The all-in-one asks for a second factor wherever a password is accepted,
// shows an enrolled authenticator in Keycloak's credential view, and
// removes it through it — in memory and on PostgreSQL and Redis.
func TestSecondFactorThroughTheAPI(t *testing.T) {
	for name, config := range map[string]func(*testing.T) opengate.Config{
		"Memory":   func(*testing.T) opengate.Config { return opengate.Config{} },
		"Postgres": postgresConfig,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := embed(t, config(t))
			ctx := context.Background()
			admin := e.token(t, "master", "admin", adminPassword)
			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`)
			const pw = "Passw0rd-of-alice"
			u, err := e.Users.Create(ctx, "acme", users.User{Username: "alice", Enabled: true},
				users.NewCredential{Type: users.CredentialPassword, Value: pw})
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "acme's admin-cli", func() bool {
				_, err := e.Clients.GetByClientID(ctx, "acme", "admin-cli")
				return err == nil
			})
			token := e.token(t, "acme", "alice", pw)

			// Enrol through the account API.
			var enrolment struct {
				FactorID, Secret, Algorithm string
				Digits                      int
				Period                      int64
			}
			if err := json.Unmarshal([]byte(e.must(t, 200, "POST", "/realms/acme/account/mfa/totp", token, `{"userLabel":"Phone"}`)), &enrolment); err != nil {
				t.Fatal(err)
			}
			secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(enrolment.Secret)
			code := func(at time.Time) string {
				c, err := mfa.GenerateTOTP(secret, enrolment.Algorithm, enrolment.Digits, time.Duration(enrolment.Period)*time.Second, at)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			e.must(t, 200, "POST", "/realms/acme/account/mfa/totp/confirm", token,
				`{"factorId":"`+enrolment.FactorID+`","code":"`+code(time.Now())+`"}`)

			// No token without the second factor.
			status, body := e.passwordGrant(t, "acme", "alice", pw, "")
			if desc, _ := body["error_description"].(string); status != 400 || body["error"] != "invalid_grant" ||
				!strings.HasPrefix(desc, "A second factor is required") {
				t.Fatalf("without a code: %d %v", status, body)
			}
			if status, body := e.passwordGrant(t, "acme", "alice", pw, code(time.Now().Add(30*time.Second))); status != 200 || body["access_token"] == nil {
				t.Fatalf("with the code: %d %v", status, body)
			}

			// Keycloak's view: the password and an otp credential.
			var creds []struct{ ID, Type, UserLabel string }
			if err := json.Unmarshal([]byte(e.must(t, 200, "GET", "/admin/realms/acme/users/"+u.ID+"/credentials", admin, "")), &creds); err != nil {
				t.Fatal(err)
			}
			if len(creds) != 2 || creds[0].Type != "password" || creds[1].Type != "otp" || creds[1].ID != enrolment.FactorID || creds[1].UserLabel != "Phone" {
				t.Fatalf("credentials = %+v", creds)
			}
			e.must(t, 204, "DELETE", "/admin/realms/acme/users/"+u.ID+"/credentials/"+enrolment.FactorID, admin, "")
			e.must(t, 404, "DELETE", "/admin/realms/acme/users/"+u.ID+"/credentials/"+enrolment.FactorID, admin, "")
			if status, body := e.passwordGrant(t, "acme", "alice", pw, ""); status != 200 {
				t.Fatalf("after the factor's removal: %d %v", status, body)
			}

			// mfaPolicy required is never ignored: alice has no factor and
			// no verified email.
			e.must(t, 204, "PUT", "/admin/realms/acme", admin, `{"mfaPolicy":"required"}`)
			status, body = e.passwordGrant(t, "acme", "alice", pw, "")
			if desc, _ := body["error_description"].(string); status != 400 || !strings.HasPrefix(desc, "A second factor is required, and the account has none") {
				t.Fatalf("mfaPolicy required: %d %v", status, body)
			}
		})
	}
}

// user.deleted removes the user's factors (Run's mfa consumer).
func TestDeletingAUserRemovesItsFactors(t *testing.T) {
	e := embed(t, opengate.Config{})
	ctx := context.Background()
	admin := e.token(t, "master", "admin", adminPassword)
	u, err := e.Users.Create(ctx, "master", users.User{Username: "bob", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	en, err := e.MFA.StartTOTP(ctx, "master", u.ID, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	code, _ := mfa.GenerateTOTP(secret, en.Algorithm, en.Digits, en.Period, time.Now())
	if _, err := e.MFA.ConfirmTOTP(ctx, "master", u.ID, en.FactorID, code); err != nil {
		t.Fatal(err)
	}
	factors := func() int {
		list, err := e.MFA.Factors(ctx, "master", u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if factors() != 1 {
		t.Fatal("bob has no factor")
	}
	e.must(t, 204, "DELETE", "/admin/realms/master/users/"+u.ID, admin, "")
	eventually(t, "bob's factors removed", func() bool { return factors() == 0 })
}
