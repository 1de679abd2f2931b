package realms_test

import (
	"errors"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// FuzzParsePasswordPolicy checks the parser of Keycloak's passwordPolicy
// strings on arbitrary input: it never panics; a refusal is CodeInvalid
// naming the field "passwordPolicy"; an accepted policy is within its
// bounds, and printing it and parsing the result gives the same policy back
// (and the same string: String is a normal form).
func FuzzParsePasswordPolicy(f *testing.F) {
	for _, s := range []string{
		"",
		"length(12) and digits(1) and notUsername and passwordHistory(3)",
		"length and upperCase and lowerCase and specialChars and notEmail",
		"notUsername(undefined)",
		"hashIterations(3) and hashMemory(19456)",
		"length(8) and length(9)",
		"length(-1)",
		"digits(x)",
		"length(12",
		" and ",
		"forceExpiredPasswordChange(365)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := realms.ParsePasswordPolicy(s)
		if err != nil {
			var e *iam.Error
			if !errors.As(err, &e) || e.Code != iam.CodeInvalid || e.Field != "passwordPolicy" {
				t.Fatalf("ParsePasswordPolicy(%q) error %#v, want CodeInvalid on field passwordPolicy", s, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePasswordPolicy(%q) accepted %+v, which Validate refuses: %v", s, p, err)
		}
		printed := p.String()
		again, err := realms.ParsePasswordPolicy(printed)
		if err != nil {
			t.Fatalf("ParsePasswordPolicy(%q) = %+v, whose String %q does not parse: %v", s, p, printed, err)
		}
		if again != p {
			t.Fatalf("round trip of %q: %+v → %q → %+v", s, p, printed, again)
		}
		if again.String() != printed {
			t.Fatalf("String is not a normal form: %q then %q", printed, again.String())
		}
	})
}
