package realmshttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

const serviceToken = "test-service-token"

var (
	masterAdmin = &iam.Principal{Subject: "root", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}}
	acmeAdmin   = &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	acmeUser    = &iam.Principal{Subject: "u1", Realm: "acme", Roles: []string{"user"}}
	// masterRealmAdmin administers the master realm, not every realm.
	masterRealmAdmin = &iam.Principal{Subject: "mra", Realm: iam.MasterRealm, Roles: []string{iam.RoleRealmAdmin}}
)

// fixture is a handler over a memory-backed service with master and acme.
type fixture struct {
	t   *testing.T
	svc *realms.Service
	h   http.Handler
}

func newFixture(t *testing.T, opts ...realmshttp.Option) *fixture {
	t.Helper()
	svc := realms.New(realmsmem.New(nil))
	ctx := context.Background()
	if _, err := svc.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = []realmshttp.Option{realmshttp.WithServiceToken(serviceToken)}
	}
	return &fixture{t: t, svc: svc, h: realmshttp.NewHandler(svc, opts...)}
}

// do sends a request as principal p (nil: anonymous); body is marshalled
// unless it is a string.
func (f *fixture) do(p *iam.Principal, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var r *http.Request
	switch b := body.(type) {
	case nil:
		r = httptest.NewRequest(method, path, nil)
	case string:
		r = httptest.NewRequest(method, path, strings.NewReader(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = httptest.NewRequest(method, path, bytes.NewReader(raw))
	}
	r.Header.Set("Content-Type", "application/json")
	if p != nil {
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

func (f *fixture) rep(p *iam.Principal, name string) map[string]any {
	f.t.Helper()
	rec := f.do(p, "GET", "/admin/realms/"+name, nil)
	if rec.Code != 200 {
		f.t.Fatalf("GET %s = %d %s", name, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		f.t.Fatal(err)
	}
	return m
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code iam.Code, field string) iamhttp.ErrorBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var b iamhttp.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if b.Error != string(code) || b.Field != field || b.ErrorMessage == "" {
		t.Fatalf("body = %+v, want code %q field %q", b, code, field)
	}
	return b
}

func TestCreateRealm(t *testing.T) {
	f := newFixture(t)
	rec := f.do(masterAdmin, "POST", "/admin/realms", map[string]any{
		"realm": "beta", "enabled": true, "displayName": "Beta",
		"accessTokenLifespan": 600, "passwordPolicy": "length(12) and digits(1) and notUsername",
		"bruteForceProtected": true, "failureFactor": 5, "mfaPolicy": "required", "signingAlgorithm": "ES256",
		"corsOrigins": []string{"https://app.beta.test"}, "attributes": map[string]string{"k": "v"},
		"smtpServer": map[string]string{"host": "mx.beta.test", "port": "587", "from": "no-reply@beta.test",
			"auth": "true", "user": "mailer", "password": "pw", "starttls": "true",
			"replyTo": "help@beta.test", "replyToDisplayName": "Beta Help", "envelopeFrom": "bounces@beta.test"},
	})
	if rec.Code != 201 || rec.Header().Get("Location") != "http://example.com/admin/realms/beta" {
		t.Fatalf("create = %d, Location %q: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	m := f.rep(masterAdmin, "beta")
	checks := map[string]any{
		"id": "beta", "realm": "beta", "displayName": "Beta", "enabled": true,
		"accessTokenLifespan": 600.0, "ssoSessionIdleTimeout": 1800.0, "ssoSessionMaxLifespan": 36000.0,
		"accessCodeLifespan": 60.0, "passwordPolicy": "length(12) and digits(1) and notUsername",
		"bruteForceProtected": true, "failureFactor": 5.0, "waitIncrementSeconds": 60.0,
		"maxFailureWaitSeconds": 900.0, "maxDeltaTimeSeconds": 43200.0, "mfaPolicy": "required",
		"signingAlgorithm": "ES256", "defaultSignatureAlgorithm": "ES256", "registrationAllowed": false,
	}
	for k, want := range checks {
		if m[k] != want {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	if _, ok := m["realmId"]; ok {
		t.Errorf("the admin API shows realmId: %v", m["realmId"])
	}
	smtp := m["smtpServer"].(map[string]any)
	if smtp["password"] != realms.SecretMask || smtp["host"] != "mx.beta.test" || smtp["port"] != "587" ||
		smtp["replyTo"] != "help@beta.test" || smtp["replyToDisplayName"] != "Beta Help" || smtp["envelopeFrom"] != "bounces@beta.test" {
		t.Fatalf("smtpServer = %v", smtp)
	}
	stored, _ := f.svc.Get(context.Background(), "beta")
	if stored.SMTP.Password != "pw" || !stored.SMTP.StartTLS || stored.SMTP.Port != 587 {
		t.Fatalf("stored SMTP = %+v", stored.SMTP)
	}
}

func TestCreateWithoutEnabledIsDisabledAsInKeycloak(t *testing.T) {
	f := newFixture(t)
	if rec := f.do(masterAdmin, "POST", "/admin/realms", map[string]any{"realm": "beta"}); rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if m := f.rep(masterAdmin, "beta"); m["enabled"] != false {
		t.Fatalf("enabled = %v", m["enabled"])
	}
}

func TestCreateErrors(t *testing.T) {
	tests := []struct {
		name   string
		p      *iam.Principal
		body   any
		status int
		code   iam.Code
		field  string
	}{
		{"AnonymousIs401", nil, map[string]any{"realm": "beta"}, 401, iam.CodeUnauthenticated, ""},
		{"RealmAdminIs403", acmeAdmin, map[string]any{"realm": "beta"}, 403, iam.CodeForbidden, ""},
		{"MasterRealmAdminIs403", masterRealmAdmin, map[string]any{"realm": "beta"}, 403, iam.CodeForbidden, ""},
		{"PlainUserIs403", acmeUser, map[string]any{"realm": "beta"}, 403, iam.CodeForbidden, ""},
		{"DuplicateIs409", masterAdmin, map[string]any{"realm": "acme"}, 409, iam.CodeConflict, "realm"},
		{"MissingNameIs400", masterAdmin, map[string]any{"enabled": true}, 400, iam.CodeInvalid, "realm"},
		{"MalformedNameIs400", masterAdmin, map[string]any{"realm": "Not OK"}, 400, iam.CodeInvalid, "realm"},
		{"UnknownFieldIs400", masterAdmin, map[string]any{"realm": "beta", "verifyEmial": true}, 400, iam.CodeInvalid, "verifyEmial"},
		{"WrongTypeIs400", masterAdmin, map[string]any{"realm": "beta", "accessTokenLifespan": "5m"}, 400, iam.CodeInvalid, "accessTokenLifespan"},
		{"NegativeLifespanIs400", masterAdmin, map[string]any{"realm": "beta", "accessTokenLifespan": -5}, 400, iam.CodeInvalid, "accessTokenLifespan"},
		{"HugeLifespanIs400", masterAdmin, map[string]any{"realm": "beta", "ssoSessionMaxLifespan": int64(1) << 60}, 400, iam.CodeInvalid, "ssoSessionMaxLifespan"},
		{"UnknownPolicyIs400", masterAdmin, map[string]any{"realm": "beta", "passwordPolicy": "length(8) and maxLength(9)"}, 400, iam.CodeInvalid, "passwordPolicy"},
		{"BadMFAPolicyIs400", masterAdmin, map[string]any{"realm": "beta", "mfaPolicy": "always"}, 400, iam.CodeInvalid, "mfaPolicy"},
		{"BadAlgorithmIs400", masterAdmin, map[string]any{"realm": "beta", "signingAlgorithm": "HS256"}, 400, iam.CodeInvalid, "signingAlgorithm"},
		{"AlgorithmNamesDisagreeIs400", masterAdmin, map[string]any{"realm": "beta", "signingAlgorithm": "RS256", "defaultSignatureAlgorithm": "ES256"}, 400, iam.CodeInvalid, "defaultSignatureAlgorithm"},
		{"BadSMTPPortIs400", masterAdmin, map[string]any{"realm": "beta", "smtpServer": map[string]string{"host": "mx", "from": "a@b.test", "port": "smtp"}}, 400, iam.CodeInvalid, "smtpServer.port"},
		{"UnknownSMTPKeyIs400", masterAdmin, map[string]any{"realm": "beta", "smtpServer": map[string]string{"host": "mx", "from": "a@b.test", "dkimKey": "x"}}, 400, iam.CodeInvalid, "smtpServer.dkimKey"},
		{"BadReplyToIs400", masterAdmin, map[string]any{"realm": "beta", "smtpServer": map[string]string{"host": "mx", "from": "a@b.test", "replyTo": "Help <x@b.test>"}}, 400, iam.CodeInvalid, "smtpServer.replyTo"},
		{"BadCORSOriginIs400", masterAdmin, map[string]any{"realm": "beta", "corsOrigins": []string{"*"}}, 400, iam.CodeInvalid, "corsOrigins"},
		{"MalformedJSONIs400", masterAdmin, `{"realm":`, 400, iam.CodeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			b := wantError(t, f.do(tt.p, "POST", "/admin/realms", tt.body), tt.status, tt.code, tt.field)
			if tt.name == "UnknownPolicyIs400" && !strings.Contains(b.ErrorDescription, "maxLength") {
				t.Fatalf("message does not name the policy: %q", b.ErrorDescription)
			}
			if _, err := f.svc.Get(context.Background(), "beta"); iam.ErrorCode(err) != iam.CodeNotFound {
				t.Fatalf("failed create left a realm: %v", err)
			}
		})
	}
}

func TestGetRealm(t *testing.T) {
	f := newFixture(t)
	if m := f.rep(acmeAdmin, "acme"); m["displayName"] != "Acme" {
		t.Fatalf("realm admin reads own realm: %v", m)
	}
	wantError(t, f.do(masterAdmin, "GET", "/admin/realms/nope", nil), 404, iam.CodeNotFound, "")
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/master", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/nope", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(acmeUser, "GET", "/admin/realms/acme", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(nil, "GET", "/admin/realms/acme", nil), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(masterAdmin, "GET", "/admin/realms/Bad_Name", nil), 400, iam.CodeInvalid, "realm")
}

func TestListRealmsShowsOnlyAdministeredOnes(t *testing.T) {
	f := newFixture(t)
	names := func(p *iam.Principal) []string {
		rec := f.do(p, "GET", "/admin/realms", nil)
		if rec.Code != 200 {
			t.Fatalf("list = %d %s", rec.Code, rec.Body)
		}
		var reps []realmshttp.RealmRepresentation
		if err := json.Unmarshal(rec.Body.Bytes(), &reps); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range reps {
			out = append(out, *r.Realm)
		}
		return out
	}
	if got := strings.Join(names(masterAdmin), ","); got != "acme,master" {
		t.Fatalf("master admin sees %s", got)
	}
	if got := strings.Join(names(acmeAdmin), ","); got != "acme" {
		t.Fatalf("acme admin sees %s", got)
	}
	wantError(t, f.do(acmeUser, "GET", "/admin/realms", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(nil, "GET", "/admin/realms", nil), 401, iam.CodeUnauthenticated, "")
}

func TestUpdateRealmIsPartial(t *testing.T) {
	f := newFixture(t)
	rec := f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{
		"accessTokenLifespan": 900,
		"smtpServer":          map[string]string{"host": "mx", "from": "a@acme.test", "user": "u", "password": "pw1"},
	})
	if rec.Code != 204 {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	m := f.rep(acmeAdmin, "acme")
	if m["accessTokenLifespan"] != 900.0 || m["displayName"] != "Acme" || m["enabled"] != true || m["accessCodeLifespan"] != 60.0 {
		t.Fatalf("after PUT: %v", m)
	}
	// A GET-modify-PUT round trip keeps the masked password.
	m["displayName"] = "Acme Inc"
	if rec := f.do(acmeAdmin, "PUT", "/admin/realms/acme", m); rec.Code != 204 {
		t.Fatalf("round-trip PUT = %d %s", rec.Code, rec.Body)
	}
	stored, _ := f.svc.Get(context.Background(), "acme")
	if stored.DisplayName != "Acme Inc" || stored.SMTP.Password != "pw1" || stored.AccessTokenLifespan != 15*time.Minute {
		t.Fatalf("stored = %q %+v %v", stored.DisplayName, stored.SMTP, stored.AccessTokenLifespan)
	}
}

func TestOTPPolicyOnKeycloaksNames(t *testing.T) {
	f := newFixture(t)
	m := f.rep(acmeAdmin, "acme")
	defaults := map[string]any{"otpPolicyType": "totp", "otpPolicyAlgorithm": "HmacSHA1", "otpPolicyDigits": 6.0,
		"otpPolicyPeriod": 30.0, "otpPolicyLookAheadWindow": 1.0}
	for k, want := range defaults {
		if m[k] != want {
			t.Errorf("%s = %#v, want Keycloak's default %#v", k, m[k], want)
		}
	}
	rec := f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{"otpPolicyAlgorithm": "HmacSHA256",
		"otpPolicyDigits": 8, "otpPolicyPeriod": 60, "otpPolicyLookAheadWindow": 0})
	if rec.Code != 204 {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	stored, _ := f.svc.Get(context.Background(), "acme")
	want := realms.OTPPolicy{Type: "totp", Algorithm: "HmacSHA256", Digits: 8, Period: time.Minute, LookAheadWindow: 0}
	if stored.OTP != want {
		t.Fatalf("stored OTP policy = %+v, want %+v", stored.OTP, want)
	}
	// A new realm that asks for no drift keeps its window of 0.
	if rec := f.do(masterAdmin, "POST", "/admin/realms", map[string]any{"realm": "beta", "otpPolicyLookAheadWindow": 0}); rec.Code != 201 {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if m := f.rep(masterAdmin, "beta"); m["otpPolicyLookAheadWindow"] != 0.0 || m["otpPolicyDigits"] != 6.0 {
		t.Fatalf("beta's OTP policy: window %v digits %v", m["otpPolicyLookAheadWindow"], m["otpPolicyDigits"])
	}
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{"otpPolicyType": "hotp"}), 400, iam.CodeInvalid, "otpPolicyType")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{"otpPolicyDigits": 4}), 400, iam.CodeInvalid, "otpPolicyDigits")
}

func TestUpdateRealmErrors(t *testing.T) {
	f := newFixture(t)
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{"realm": "other"}), 400, iam.CodeInvalid, "realm")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{"failureFactor": 0}), 400, iam.CodeInvalid, "failureFactor")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/acme", map[string]any{"passwordPolicy": "digits(x)"}), 400, iam.CodeInvalid, "passwordPolicy")
	wantError(t, f.do(acmeAdmin, "PUT", "/admin/realms/master", map[string]any{"enabled": false}), 403, iam.CodeForbidden, "")
	wantError(t, f.do(nil, "PUT", "/admin/realms/acme", map[string]any{"enabled": false}), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(masterAdmin, "PUT", "/admin/realms/nope", map[string]any{"enabled": false}), 404, iam.CodeNotFound, "")
	if m := f.rep(acmeAdmin, "acme"); m["enabled"] != true || m["failureFactor"] != 30.0 {
		t.Fatalf("failed updates changed the realm: %v", m)
	}
}

func TestDeleteRealm(t *testing.T) {
	f := newFixture(t)
	b := wantError(t, f.do(masterAdmin, "DELETE", "/admin/realms/master", nil), 400, iam.CodeInvalid, "realm")
	if !strings.Contains(b.ErrorDescription, "master") {
		t.Fatalf("message = %q", b.ErrorDescription)
	}
	wantError(t, f.do(acmeAdmin, "DELETE", "/admin/realms/acme", nil), 403, iam.CodeForbidden, "")
	// master's realm-admin administers master, not the realms it would delete.
	wantError(t, f.do(masterRealmAdmin, "DELETE", "/admin/realms/acme", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(nil, "DELETE", "/admin/realms/acme", nil), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(masterAdmin, "DELETE", "/admin/realms/nope", nil), 404, iam.CodeNotFound, "")
	if rec := f.do(masterAdmin, "DELETE", "/admin/realms/acme", nil); rec.Code != 204 {
		t.Fatalf("DELETE = %d %s", rec.Code, rec.Body)
	}
	wantError(t, f.do(masterAdmin, "GET", "/admin/realms/acme", nil), 404, iam.CodeNotFound, "")
}

func TestInternalGetNeedsServiceToken(t *testing.T) {
	f := newFixture(t)
	get := func(h http.Handler, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/internal/realms/acme", nil)
		if token != "" {
			r.Header.Set(iamhttp.ServiceTokenHeader, token)
		}
		// Even an administrator's token is not a service credential.
		r = r.WithContext(iam.WithPrincipal(r.Context(), masterAdmin))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	wantError(t, get(f.h, ""), 403, iam.CodeForbidden, "")
	wantError(t, get(f.h, "wrong"), 403, iam.CodeForbidden, "")
	wantError(t, get(f.h, serviceToken+"x"), 403, iam.CodeForbidden, "")
	if rec := get(f.h, serviceToken); rec.Code != 200 {
		t.Fatalf("with token = %d %s", rec.Code, rec.Body)
	}
	unconfigured := realmshttp.NewHandler(f.svc, realmshttp.WithServiceToken(""))
	wantError(t, get(unconfigured, ""), 403, iam.CodeForbidden, "")
}
