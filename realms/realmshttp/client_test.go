package realmshttp_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
)

func TestClientGetMatchesTheService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	full := realms.Realm{Name: "full", DisplayName: "Full", Enabled: true,
		AccessTokenLifespan: 7 * time.Minute, SSOSessionIdleTimeout: time.Hour, SSOSessionMaxLifespan: 9 * time.Hour,
		AccessCodeLifespan: 30 * time.Second,
		PasswordPolicy:     realms.PasswordPolicy{MinLength: 10, Digits: 2, NotEmail: true, PasswordHistory: 4, HashIterations: 3, HashMemoryKiB: 65536},
		BruteForce:         realms.BruteForce{Enabled: true, FailureFactor: 3, WaitIncrement: time.Minute, MaxWait: time.Hour, ResetAfter: time.Hour},
		MFA:                realms.MFARequired, SigningAlgorithm: realms.AlgEdDSA,
		SMTP:        realms.SMTP{Host: "mx", Port: 2525, From: "a@full.test", FromName: "Full", User: "u", Password: "smtp-secret", SSL: true},
		CORSOrigins: []string{"https://full.test"}, RegistrationAllowed: true, DuplicateEmailsAllowed: true,
		Attributes: map[string]string{"a": "b"},
	}
	want, err := f.svc.Create(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	c := realmshttp.NewClient(srv.URL, serviceToken)
	got, err := c.Get(ctx, "full")
	if err != nil {
		t.Fatal(err)
	}
	want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{} // not part of the representation
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("remote realm differs\n got: %+v\nwant: %+v", got, want)
	}
	// The cache in front of the client serves repeated reads.
	cached := realms.NewCachedGetter(c)
	if r, err := cached.Get(ctx, "full"); err != nil || r.SMTP.Password != "smtp-secret" {
		t.Fatalf("cached Get = %+v, %v", r.SMTP, err)
	}
}

func TestClientErrors(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	ctx := context.Background()
	if _, err := realmshttp.NewClient(srv.URL, serviceToken).Get(ctx, "nope"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("missing realm: %v", err)
	}
	if _, err := realmshttp.NewClient(srv.URL, "wrong").Get(ctx, "acme"); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := realmshttp.NewClient(srv.URL, serviceToken).Get(ctx, "Bad/Name"); iam.ErrorField(err) != "realm" {
		t.Fatalf("malformed name: %v", err)
	}
	srv.Close()
	if _, err := realmshttp.NewClient(srv.URL, serviceToken).Get(ctx, "acme"); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("server down: %v", err)
	}
}

var _ realms.Getter = (*realmshttp.Client)(nil)

func TestClientNamesListsEveryRealm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	want, err := f.svc.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := realmshttp.NewClient(srv.URL, serviceToken).Names(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(got) < 2 {
		t.Fatalf("Names = %v, want the %d realms of the service", got, len(want))
	}
	for i, r := range want {
		if got[i] != r.Name {
			t.Fatalf("Names = %v, want %v's names in order", got, want)
		}
	}
	if _, err := realmshttp.NewClient(srv.URL, "wrong").Names(ctx); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("wrong token: %v", err)
	}
}
