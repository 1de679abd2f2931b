package mfahttp_test

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
)

// enrolment is what auth's login and account pages need of the MFA
// service: the Service and the Client both satisfy it.
type enrolment interface {
	Factors(ctx context.Context, realm iam.Realm, userID string) ([]mfa.PublicFactor, error)
	StartTOTP(ctx context.Context, realm iam.Realm, userID, accountName, label string) (mfa.Enrolment, error)
	ConfirmTOTP(ctx context.Context, realm iam.Realm, userID, factorID, code string) (mfa.PublicFactor, error)
	DeleteCredential(ctx context.Context, realm iam.Realm, userID, credID string) error
	RegenerateRecoveryCodes(ctx context.Context, realm iam.Realm, userID string) ([]string, error)
}

var (
	_ enrolment = (*mfa.Service)(nil)
	_ enrolment = (*mfahttp.Client)(nil)
)

func TestClientEnrolsAsTheService(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	c := mfahttp.NewClient(srv.URL, serviceToken)
	ctx := context.Background()

	if _, err := c.RegenerateRecoveryCodes(ctx, "acme", "bob-id"); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("recovery codes without an authenticator: %v", err)
	}
	e, err := c.StartTOTP(ctx, "acme", "bob-id", "bob", "Work phone")
	if err != nil || e.FactorID == "" || len(e.QRCode) == 0 || e.Digits != 6 || e.Period != 30*time.Second ||
		e.URI == "" || e.ExpiresAt.IsZero() {
		t.Fatalf("StartTOTP = %+v, %v", e, err)
	}
	if _, err := c.ConfirmTOTP(ctx, "acme", "bob-id", e.FactorID, "000000"); iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "code" {
		t.Fatalf("a wrong code: %v", err)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	code, _ := mfa.GenerateTOTP(secret, e.Algorithm, e.Digits, e.Period, time.Now())
	fa, err := c.ConfirmTOTP(ctx, "acme", "bob-id", e.FactorID, code)
	if err != nil || fa.ID != e.FactorID || fa.Label != "Work phone" || fa.ConfirmedAt.IsZero() {
		t.Fatalf("ConfirmTOTP = %+v, %v", fa, err)
	}
	codes, err := c.RegenerateRecoveryCodes(ctx, "acme", "bob-id")
	if err != nil || len(codes) != mfa.RecoveryCodeCount {
		t.Fatalf("RegenerateRecoveryCodes = %v, %v", codes, err)
	}
	if _, err := f.svc.Verify(ctx, "acme", "bob-id", codes[0]); err != nil {
		t.Fatalf("a recovery code from the client: %v", err)
	}
	if err := c.DeleteCredential(ctx, "acme", "bob-id", e.FactorID); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.Factors(ctx, "acme", "bob-id"); len(list) != 0 {
		t.Fatalf("factors left: %v", list)
	}
	for _, p := range []string{"totp", "totp/confirm", "recovery-codes"} {
		if rec := f.do(nil, "POST", "/internal/realms/acme/mfa/users/bob-id/"+p, `{}`); rec.Code != http.StatusForbidden {
			t.Errorf("%s without the service token = %d", p, rec.Code)
		}
	}
}
