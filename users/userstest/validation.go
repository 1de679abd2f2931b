package userstest

import (
	"errors"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// The cases below check, through a Service over the store, that every store
// keeps the one rule the Service sets for names and text: spellings that
// normalise alike are one username, and what one backend could not store
// (NUL) is refused before any backend sees it.

// service returns a Service over h's store with the realm acme.
func service(h Harness) *users.Service {
	return users.New(h.Store, NewRealms(Realm("acme")), users.WithParams(FastParams))
}

func testDecomposedAndFullwidthSpellingsAreOneUsername(t *testing.T, h Harness) {
	svc := service(h)
	jose, err := svc.Create(ctx(t), "acme", users.User{Username: "jos\u00e9", Enabled: true}, users.NewCredential{Value: "pw-123456"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx(t), "acme", users.User{Username: "jose\u0301"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("decomposed twin: %v, want a conflict", err)
	}
	if _, err := svc.Create(ctx(t), "acme", users.User{Username: "\uff4a\uff4f\uff53\u00e9"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("fullwidth twin: %v, want a conflict", err)
	}
	if u, err := svc.Authenticate(ctx(t), "acme", "JOSE\u0301", "pw-123456"); err != nil || u.ID != jose.ID {
		t.Fatalf("login with the decomposed spelling = %+v, %v", u, err)
	}
}

func testLookAlikeAndReservedUsernamesAreRefused(t *testing.T, h Harness) {
	svc := service(h)
	for _, name := range []string{"\u0430dmin", "admin\u202e", "service-account-billing"} {
		_, err := svc.Create(ctx(t), "acme", users.User{Username: name})
		var e *iam.Error
		if !errors.As(err, &e) || e.Code != iam.CodeInvalid || e.Field != "username" {
			t.Fatalf("Create(%+q) = %v, want CodeInvalid on username", name, err)
		}
	}
}

func testNULIsRefusedInEveryStore(t *testing.T, h Harness) {
	svc := service(h)
	nul := map[string][]string{"k": {"a\x00b"}}
	_, err := svc.Create(ctx(t), "acme", users.User{Username: "alice", Attributes: nul})
	wantField(t, err, "attributes")
	u, err := svc.Create(ctx(t), "acme", users.User{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Update(ctx(t), "acme", u.ID, users.Patch{Attributes: &nul})
	wantField(t, err, "attributes")
	_, err = svc.Update(ctx(t), "acme", u.ID, users.Patch{FirstName: ptr("a\x00")})
	wantField(t, err, "firstName")
}

// wantField fails unless err is CodeInvalid naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid || e.Field != field {
		t.Fatalf("error = %v, want CodeInvalid on %s", err, field)
	}
}

func ptr[T any](v T) *T { return &v }
