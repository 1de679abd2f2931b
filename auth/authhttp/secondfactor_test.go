package authhttp_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
)

// codeChecker is a SecondFactors that accepts one code and records what it
// was given.
type codeChecker struct {
	mu    sync.Mutex
	right string
	got   []string
}

func (c *codeChecker) Factors(context.Context, iam.Realm, string) ([]mfa.PublicFactor, error) {
	return []mfa.PublicFactor{{Type: mfa.TypeTOTP, ConfirmedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}, nil
}

func (c *codeChecker) Verify(_ context.Context, _ iam.Realm, _, code string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, code)
	if code != c.right {
		return "", mfa.NewFailure(mfa.ReasonInvalidCode)
	}
	return mfa.MethodTOTP, nil
}

func (c *codeChecker) SendEmailOTP(context.Context, iam.Realm, string, string) error { return nil }

// Keycloak's direct grant reads the code from otp, else from totp.
func TestPasswordGrantTakesTheCodeFromOTPOrTOTP(t *testing.T) {
	checker := &codeChecker{right: "123456"}
	s := newServer(t, realms.AlgRS256, auth.WithSecondFactors(checker))
	form := func(extra url.Values) url.Values {
		f := url.Values{"grant_type": {"password"}, "client_id": {"spa"}, "username": {"alice"}, "password": {"alice-password"}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	r := s.post(s.oidc("acme", "/token"), form(nil), "", "")
	if desc, _ := r.body["error_description"].(string); r.status != 400 || r.body["error"] != "invalid_grant" ||
		!strings.HasPrefix(desc, "A second factor is required:") {
		t.Fatalf("without a code: %d %s", r.status, r.raw)
	}
	for _, param := range []string{"otp", "totp"} {
		if r := s.post(s.oidc("acme", "/token"), form(url.Values{param: {"123456"}}), "", ""); r.status != 200 {
			t.Fatalf("code in %s: %d %s", param, r.status, r.raw)
		}
	}
	r = s.post(s.oidc("acme", "/token"), form(url.Values{"otp": {"123456"}, "totp": {"000000"}}), "", "")
	if r.status != 200 {
		t.Fatalf("otp wins over totp: %d %s", r.status, r.raw)
	}
	r = s.post(s.oidc("acme", "/token"), form(url.Values{"otp": {"654321"}}), "", "")
	if r.status != 400 || r.body["error"] != "invalid_grant" || r.body["error_description"] != "Invalid one-time code" {
		t.Fatalf("wrong code: %d %s", r.status, r.raw)
	}
}
