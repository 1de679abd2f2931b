package users

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// MaxPasswordLength bounds every password (in characters), whatever the
// realm's policy, so that hashing cost stays predictable.
const MaxPasswordLength = 1024

// CheckPolicy reports whether pw satisfies policy for the user u (whose
// username and email the notUsername and notEmail rules compare against).
// It returns nil, or a CodeInvalid error with field "password" whose message
// names every violated rule, e.g. "password does not satisfy the password
// policy: at least 12 characters; at least 1 digit; not the username".
// Empty passwords and passwords over MaxPasswordLength characters are always
// rejected. The message never contains the password.
func CheckPolicy(policy realms.PasswordPolicy, u User, pw string) error {
	return policyError(policyViolations(policy, u, pw))
}

// policyError is the CodeInvalid error naming the broken rules, or nil.
func policyError(broken []string) error {
	if len(broken) == 0 {
		return nil
	}
	return iam.Invalidf("password", "password does not satisfy the password policy: %s", strings.Join(broken, "; "))
}

// policyViolations lists the rules of policy (and the fixed bounds) that pw
// breaks.
func policyViolations(policy realms.PasswordPolicy, u User, pw string) []string {
	var broken []string
	n := utf8.RuneCountInString(pw)
	if pw == "" {
		broken = append(broken, "not empty")
	}
	if n > MaxPasswordLength {
		broken = append(broken, fmt.Sprintf("at most %d characters", MaxPasswordLength))
	}
	if policy.MinLength > 0 && n < policy.MinLength {
		broken = append(broken, fmt.Sprintf("at least %d characters", policy.MinLength))
	}
	var digits, upper, lower, special int
	for _, r := range pw {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		case !unicode.IsLetter(r):
			special++
		}
	}
	count := func(want, have int, what string) {
		if want > 0 && have < want {
			broken = append(broken, fmt.Sprintf("at least %d %s", want, plural(want, what)))
		}
	}
	count(policy.Digits, digits, "digit")
	count(policy.UpperCase, upper, "uppercase letter")
	count(policy.LowerCase, lower, "lowercase letter")
	count(policy.SpecialChars, special, "special character")
	if policy.NotUsername && u.Username != "" && strings.EqualFold(pw, u.Username) {
		broken = append(broken, "not the username")
	}
	if policy.NotEmail && u.Email != "" && strings.EqualFold(pw, u.Email) {
		broken = append(broken, "not the email")
	}
	return broken
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
