package mfahttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// mfa-service completes CONFIGURE_TOTP through user-service's client.
var _ mfa.RequiredActions = (*usershttp.Client)(nil)

func TestInternalAPINeedsTheServiceToken(t *testing.T) {
	f := newFixture(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/internal/realms/acme/mfa/users/alice-id/factors"},
		{"POST", "/internal/realms/acme/mfa/users/alice-id/verify"},
		{"POST", "/internal/realms/acme/mfa/users/alice-id/email-otp"},
		{"GET", "/internal/realms/acme/mfa/users/alice-id/credentials"},
		{"DELETE", "/internal/realms/acme/mfa/users/alice-id/credentials/x"},
	} {
		if rec := f.do(nil, r.method, r.path, `{}`); rec.Code != http.StatusForbidden {
			t.Errorf("%s %s without the token = %d, want 403", r.method, r.path, rec.Code)
		}
	}
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	_, err := mfahttp.NewClient(srv.URL, "wrong").Verify(context.Background(), "acme", "alice-id", "123456")
	if iam.ErrorCode(err) != iam.CodeForbidden || mfa.FailureReason(err) != "" {
		t.Fatalf("a wrong token = %v; want forbidden, not a failed code", err)
	}
}

// The Client has the Service's contracts: what auth and users see is the
// same in process and over HTTP.
func TestClientMirrorsTheService(t *testing.T) {
	f := newFixture(t)
	secret, id := f.enrol()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	c := mfahttp.NewClient(srv.URL, serviceToken)
	ctx := context.Background()

	factors, err := c.Factors(ctx, "acme", "alice-id")
	if err != nil || len(factors) != 1 || factors[0].ID != id || factors[0].Type != mfa.TypeTOTP || factors[0].ConfirmedAt.IsZero() ||
		factors[0].Realm != "acme" || factors[0].UserID != "alice-id" || !mfa.HasTOTP(factors) {
		t.Fatalf("Factors = %+v, %v", factors, err)
	}
	code, _ := mfa.GenerateTOTP(secret, "HmacSHA1", 6, 30*time.Second, time.Now().Add(30*time.Second))
	if m, err := c.Verify(ctx, "acme", "alice-id", code); err != nil || m != mfa.MethodTOTP {
		t.Fatalf("Verify = %q, %v", m, err)
	}
	_, err = c.Verify(ctx, "acme", "alice-id", code)
	if iam.ErrorCode(err) != iam.CodeUnauthenticated || mfa.FailureReason(err) != mfa.ReasonCodeReused {
		t.Fatalf("replayed code = %v", err)
	}
	_, err = c.Verify(ctx, "acme", "alice-id", "")
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "code" {
		t.Fatalf("empty code = %v", err)
	}

	if err := c.SendEmailOTP(ctx, "acme", "bob-id", "bob@acme.test"); err != nil {
		t.Fatal(err)
	}
	err = c.SendEmailOTP(ctx, "acme", "bob-id", "bob@acme.test") // the fixture allows one send per window
	if iam.ErrorCode(err) != iam.CodeRateLimited || iam.RetryAfter(err) <= 0 {
		t.Fatalf("second send = %v (retry after %v)", err, iam.RetryAfter(err))
	}
	if m, err := c.Verify(ctx, "acme", "bob-id", f.mail.sent[0].Code); err != nil || m != mfa.MethodEmail {
		t.Fatalf("email code = %q, %v", m, err)
	}

	creds, err := c.Credentials(ctx, "acme", "alice-id")
	if err != nil || len(creds) != 1 || creds[0].ID != id || creds[0].Type != "otp" || creds[0].UserLabel != "Phone" || creds[0].CreatedAt.IsZero() {
		t.Fatalf("Credentials = %+v, %v", creds, err)
	}
	if err := c.DeleteCredential(ctx, "acme", "alice-id", id); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteCredential(ctx, "acme", "alice-id", id); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("deleting it again = %v", err)
	}
	if _, err := c.Factors(ctx, "nope", "alice-id"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("unknown realm = %v", err)
	}
}
