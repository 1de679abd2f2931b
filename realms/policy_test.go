package realms_test

import (
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

func TestPasswordPolicyRoundTrip(t *testing.T) {
	const s = "length(12) and digits(1) and upperCase(1) and lowerCase(1) and specialChars(1) and notUsername and notEmail and passwordHistory(3) and hashIterations(2)"
	p, err := realms.ParsePasswordPolicy(s)
	if err != nil {
		t.Fatal(err)
	}
	want := realms.PasswordPolicy{MinLength: 12, Digits: 1, UpperCase: 1, LowerCase: 1, SpecialChars: 1,
		NotUsername: true, NotEmail: true, PasswordHistory: 3, HashIterations: 2}
	if p != want {
		t.Fatalf("parsed %+v, want %+v", p, want)
	}
	if p.String() != s {
		t.Fatalf("String() = %q, want %q", p.String(), s)
	}
}

func TestParsePasswordPolicy(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want realms.PasswordPolicy
	}{
		{"EmptyIsNoPolicy", "", realms.PasswordPolicy{}},
		{"BlankIsNoPolicy", "  ", realms.PasswordPolicy{}},
		{"KeycloakDefaults", "length and digits and passwordHistory", realms.PasswordPolicy{MinLength: 8, Digits: 1, PasswordHistory: 3}},
		{"ConsoleUndefinedArgument", "notUsername(undefined) and notEmail(undefined)", realms.PasswordPolicy{NotUsername: true, NotEmail: true}},
		{"AnyOrderAndSpaces", "passwordHistory( 2 )  and length(10)", realms.PasswordPolicy{MinLength: 10, PasswordHistory: 2}},
		{"HashMemory", "hashMemory(65536) and hashIterations(3)", realms.PasswordPolicy{HashMemoryKiB: 65536, HashIterations: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := realms.ParsePasswordPolicy(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParsePasswordPolicy(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			again, err := realms.ParsePasswordPolicy(got.String())
			if err != nil || again != got {
				t.Fatalf("round trip of %q = %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParsePasswordPolicyRejects(t *testing.T) {
	tests := []struct {
		name, in, mentions string
	}{
		{"UnknownPolicy", "length(8) and maxLength(64)", "maxLength"},
		{"KeycloakHashAlgorithm", "hashAlgorithm(pbkdf2-sha512)", "hashAlgorithm"},
		{"NonNumeric", "digits(two)", "digits"},
		{"Negative", "length(-1)", "length"},
		{"TooLong", "length(5000)", "length"},
		{"Duplicate", "length(8) and length(9)", "length"},
		{"Unclosed", "length(8", "length"},
		{"NotUsernameWithValue", "notUsername(3)", "notUsername"},
		{"IterationsNeedValue", "hashIterations", "hashIterations"},
		{"TooManyIterations", "hashIterations(1000)", "hashIterations"},
		{"TooLittleMemory", "hashMemory(1024)", "hashMemory"},
		// The review's policy: 1 GiB and 5.8 s per login.
		{"OneGiBOfMemory", "hashMemory(1048576) and hashIterations(3)", "hashMemory"},
		{"MemoryJustAboveTheBound", "hashMemory(65537)", "hashMemory"},
		{"ElevenIterations", "hashIterations(11)", "hashIterations"},
		{"MemoryTimesIterations", "hashMemory(65536) and hashIterations(5)", "hashMemory\" × \"hashIterations"},
		{"EmptyEntry", "length(8) and  and digits(1)", ""},
		{"WrongSeparator", "length(8), digits(1)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := realms.ParsePasswordPolicy(tt.in)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "passwordPolicy" {
				t.Fatalf("err = %v, want invalid passwordPolicy", err)
			}
			if !strings.Contains(iam.ErrorMessage(err), tt.mentions) {
				t.Fatalf("message %q does not name %q", iam.ErrorMessage(err), tt.mentions)
			}
		})
	}
}
