package mfahttp_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

const serviceToken = "test-service-token"

var (
	alice     = &iam.Principal{Subject: "alice-id", Username: "alice", Realm: "acme", Roles: []string{"user"}}
	acmeAdmin = &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	betaUser  = &iam.Principal{Subject: "alice-id", Realm: "beta", Roles: []string{"user"}}
)

// fixture is the MFA API over a memory-backed service with realm acme.
type fixture struct {
	t    *testing.T
	svc  *mfa.Service
	h    http.Handler
	mail *mailbox
}

// mailbox keeps the codes sent.
type mailbox struct {
	mu   sync.Mutex
	sent []mfa.Message
}

func (m *mailbox) SendOTP(_ context.Context, msg mfa.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	rs := realms.New(realmsmem.New(nil))
	for _, name := range []iam.Realm{"acme", "beta"} {
		if _, err := rs.Create(context.Background(), realms.Realm{Name: name, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	mail := &mailbox{}
	svc := mfa.New(mfamem.New(), mfamem.NewEphemeral(), rs, mfa.WithSender(mail), mfa.WithEmailOTP(0, 0, 1, 0))
	return &fixture{t: t, svc: svc, mail: mail,
		h: mfahttp.NewHandler(svc, mfahttp.WithServiceToken(serviceToken))}
}

// do sends a request as p (nil: anonymous); body is marshalled unless it is
// a string.
func (f *fixture) do(p *iam.Principal, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var r *http.Request
	switch b := body.(type) {
	case nil:
		r = httptest.NewRequest(method, path, nil)
	case string:
		r = httptest.NewRequest(method, path, strings.NewReader(b))
	default:
		raw, _ := json.Marshal(b)
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

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder, status int) T {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return v
}

func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code iam.Code, field string) {
	t.Helper()
	b := decode[iamhttp.ErrorBody](t, rec, status)
	if b.Error != string(code) || b.Field != field {
		t.Fatalf("body = %+v, want code %q field %q", b, code, field)
	}
}

// enrol enrols an authenticator for alice through the account API and
// returns its secret and factor id.
func (f *fixture) enrol() (secret []byte, factorID string) {
	f.t.Helper()
	rec := f.do(alice, "POST", "/realms/acme/account/mfa/totp", map[string]string{"userLabel": "Phone"})
	e := decode[mfahttp.EnrolmentRepresentation](f.t, rec, 200)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil {
		f.t.Fatal(err)
	}
	code, _ := mfa.GenerateTOTP(secret, e.Algorithm, e.Digits, time.Duration(e.Period)*time.Second, time.Now())
	rec = f.do(alice, "POST", "/realms/acme/account/mfa/totp/confirm", map[string]string{"factorId": e.FactorID, "code": code})
	decode[mfahttp.FactorRepresentation](f.t, rec, 200)
	return secret, e.FactorID
}

func TestEnrolThroughTheAccountAPI(t *testing.T) {
	f := newFixture(t)
	rec := f.do(alice, "POST", "/realms/acme/account/mfa/totp", "")
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("an enrolment's secret may be cached: %v", rec.Header())
	}
	e := decode[mfahttp.EnrolmentRepresentation](t, rec, 200)
	qr, err := base64.StdEncoding.DecodeString(e.QRCode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(qr)); err != nil {
		t.Fatalf("qrCode is not a PNG: %v", err)
	}
	if !strings.HasPrefix(e.OTPAuthURI, "otpauth://totp/acme:alice?") || e.Digits != 6 || e.Period != 30 || e.Algorithm != "HmacSHA1" {
		t.Fatalf("enrolment = %+v", e)
	}
	wantError(t, f.do(alice, "POST", "/realms/acme/account/mfa/totp/confirm", map[string]string{"factorId": e.FactorID, "code": "000000"}),
		400, iam.CodeInvalid, "code")
	wantError(t, f.do(alice, "POST", "/realms/acme/account/mfa/totp/confirm", map[string]string{"code": "000000"}),
		400, iam.CodeInvalid, "factorId")
	wantError(t, f.do(alice, "POST", "/realms/acme/account/mfa/totp/confirm", `{"factorId":"x","code":"1","extra":1}`),
		400, iam.CodeInvalid, "extra")
	list := decode[struct {
		Factors []mfahttp.FactorRepresentation
	}](t, f.do(alice, "GET", "/realms/acme/account/mfa", nil), 200)
	if len(list.Factors) != 0 {
		t.Fatalf("an unconfirmed enrolment is listed: %+v", list)
	}

	_, id := f.enrol()
	list = decode[struct {
		Factors []mfahttp.FactorRepresentation
	}](t, f.do(alice, "GET", "/realms/acme/account/mfa", nil), 200)
	if len(list.Factors) != 1 || list.Factors[0].ID != id || list.Factors[0].Type != "totp" || list.Factors[0].UserLabel != "Phone" {
		t.Fatalf("factors = %+v", list)
	}
	if strings.Contains(f.do(alice, "GET", "/realms/acme/account/mfa", nil).Body.String(), "secret") {
		t.Fatal("the listing shows a secret")
	}
}

func TestRecoveryCodesAndRemoval(t *testing.T) {
	f := newFixture(t)
	wantError(t, f.do(alice, "POST", "/realms/acme/account/mfa/recovery-codes", nil), 409, iam.CodeConflict, "")
	_, id := f.enrol()
	rec := f.do(alice, "POST", "/realms/acme/account/mfa/recovery-codes", nil)
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatal("recovery codes may be cached")
	}
	codes := decode[struct{ Codes []string }](t, rec, 200)
	if len(codes.Codes) != mfa.RecoveryCodeCount {
		t.Fatalf("codes = %v", codes)
	}
	wantError(t, f.do(alice, "DELETE", "/realms/acme/account/mfa/"+iam.NewID(), nil), 404, iam.CodeNotFound, "")
	if rec := f.do(alice, "DELETE", "/realms/acme/account/mfa/"+id, nil); rec.Code != 204 {
		t.Fatalf("DELETE = %d %s", rec.Code, rec.Body)
	}
	list := decode[struct {
		Factors []mfahttp.FactorRepresentation
	}](t, f.do(alice, "GET", "/realms/acme/account/mfa", nil), 200)
	if len(list.Factors) != 0 {
		t.Fatalf("after removing the authenticator: %+v", list)
	}
}

func TestAccountAPIIsTheCallersOwn(t *testing.T) {
	f := newFixture(t)
	wantError(t, f.do(nil, "GET", "/realms/acme/account/mfa", nil), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(nil, "POST", "/realms/acme/account/mfa/totp", nil), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(betaUser, "GET", "/realms/acme/account/mfa", nil), 403, iam.CodeForbidden, "")
	wantError(t, f.do(betaUser, "POST", "/realms/acme/account/mfa/totp", nil), 403, iam.CodeForbidden, "")
	_, id := f.enrol()
	// Another user of acme does not see or remove alice's factors.
	bob := &iam.Principal{Subject: "bob-id", Realm: "acme"}
	wantError(t, f.do(bob, "DELETE", "/realms/acme/account/mfa/"+id, nil), 404, iam.CodeNotFound, "")
	if list := decode[struct {
		Factors []mfahttp.FactorRepresentation
	}](t, f.do(bob, "GET", "/realms/acme/account/mfa", nil), 200); len(list.Factors) != 0 {
		t.Fatalf("bob sees %+v", list)
	}
}

func TestAdminAPI(t *testing.T) {
	f := newFixture(t)
	_, id := f.enrol()
	wantError(t, f.do(nil, "GET", "/admin/realms/acme/users/alice-id/mfa", nil), 401, iam.CodeUnauthenticated, "")
	wantError(t, f.do(alice, "GET", "/admin/realms/acme/users/alice-id/mfa", nil), 403, iam.CodeForbidden, "")
	list := decode[struct {
		Factors []mfahttp.FactorRepresentation
	}](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/alice-id/mfa", nil), 200)
	if len(list.Factors) != 1 || list.Factors[0].ID != id {
		t.Fatalf("admin sees %+v", list)
	}
	for range 3 {
		if _, err := f.svc.Verify(context.Background(), "acme", "alice-id", "000000"); mfa.FailureReason(err) != mfa.ReasonInvalidCode {
			t.Fatal(err)
		}
	}
	st := decode[map[string]any](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/alice-id/mfa-lockout", nil), 200)
	if st["numFailures"] != 3.0 || st["disabled"] != false || st["lastFailure"] == 0.0 {
		t.Fatalf("lockout = %v", st)
	}
	if rec := f.do(acmeAdmin, "DELETE", "/admin/realms/acme/users/alice-id/mfa-lockout", nil); rec.Code != 204 {
		t.Fatalf("DELETE lockout = %d", rec.Code)
	}
	st = decode[map[string]any](t, f.do(acmeAdmin, "GET", "/admin/realms/acme/users/alice-id/mfa-lockout", nil), 200)
	if st["numFailures"] != 0.0 {
		t.Fatalf("after clearing: %v", st)
	}
	wantError(t, f.do(acmeAdmin, "GET", "/admin/realms/beta/users/alice-id/mfa", nil), 403, iam.CodeForbidden, "")
}
