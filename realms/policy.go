package realms

import (
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// Policy names of Keycloak's password policy string, in the order String
// prints them. hashMemory is OpenGate's own (argon2id memory in KiB).
const (
	policyLength          = "length"
	policyDigits          = "digits"
	policyUpperCase       = "upperCase"
	policyLowerCase       = "lowerCase"
	policySpecialChars    = "specialChars"
	policyNotUsername     = "notUsername"
	policyNotEmail        = "notEmail"
	policyPasswordHistory = "passwordHistory"
	policyHashIterations  = "hashIterations"
	policyHashMemory      = "hashMemory"
)

// Limits of a password policy. They bound the work one login may cost; the
// hash limits equal package users/password's bounds (which the users
// service enforces again):
//
//   - MaxHashMemoryKiB (64 MiB): RFC 9106's second recommended argon2id
//     memory, above every OWASP setting (19 MiB with t=2 by default).
//   - MaxHashIterations (10): twice OWASP's highest argon2id time cost.
//   - MaxHashMemoryPasses (256 MiB): hashMemory × hashIterations, which
//     bounds the time of one hash (64 MiB allows at most t=4); about 7 times
//     the OWASP default's.
//   - MinHashMemoryKiB (7 MiB): OWASP's lowest argon2id memory (with t=5).
const (
	MaxPolicyLength         = 1024
	MaxPolicyCharClassCount = 256
	MaxPasswordHistory      = 100
	MaxHashIterations       = 10
	MinHashMemoryKiB        = 7 * 1024
	MaxHashMemoryKiB        = 64 * 1024
	MaxHashMemoryPasses     = 256 * 1024
)

// ParsePasswordPolicy parses Keycloak's password policy string, e.g.
// "length(12) and digits(1) and notUsername and passwordHistory(3)".
// Policies are separated by " and "; a policy without an argument takes
// Keycloak's default (length 8, passwordHistory 3, the character classes 1);
// "notUsername(undefined)" as Keycloak's console writes it is accepted. The
// empty string is the empty policy. An unknown or repeated policy, a
// malformed argument or a value out of range is CodeInvalid with field
// "passwordPolicy" and a message naming the policy.
func ParsePasswordPolicy(s string) (PasswordPolicy, error) {
	var p PasswordPolicy
	s = strings.TrimSpace(s)
	if s == "" {
		return p, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, " and ") {
		name, arg, hasArg, err := splitPolicy(strings.TrimSpace(part))
		if err != nil {
			return PasswordPolicy{}, err
		}
		if seen[name] {
			return PasswordPolicy{}, invalidPolicy("password policy %q is given twice", name)
		}
		seen[name] = true
		if err := p.set(name, arg, hasArg); err != nil {
			return PasswordPolicy{}, err
		}
	}
	if err := p.Validate(); err != nil {
		return PasswordPolicy{}, err
	}
	return p, nil
}

// splitPolicy splits "name(arg)" or "name".
func splitPolicy(part string) (name, arg string, hasArg bool, err error) {
	if part == "" {
		return "", "", false, invalidPolicy("password policy has an empty entry")
	}
	i := strings.IndexByte(part, '(')
	if i < 0 {
		if strings.ContainsAny(part, ") \t") {
			return "", "", false, invalidPolicy("password policy %q is malformed", part)
		}
		return part, "", false, nil
	}
	if !strings.HasSuffix(part, ")") {
		return "", "", false, invalidPolicy("password policy %q is malformed", part[:i])
	}
	return strings.TrimSpace(part[:i]), strings.TrimSpace(part[i+1 : len(part)-1]), true, nil
}

// set applies one parsed policy.
func (p *PasswordPolicy) set(name, arg string, hasArg bool) error {
	num := func(def int) (int, error) {
		if !hasArg || arg == "" {
			if def < 0 {
				return 0, invalidPolicy("password policy %q needs a value, e.g. %s(2)", name, name)
			}
			return def, nil
		}
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return 0, invalidPolicy("password policy %q must have a non-negative integer value", name)
		}
		return n, nil
	}
	var err error
	switch name {
	case policyLength:
		p.MinLength, err = num(8)
	case policyDigits:
		p.Digits, err = num(1)
	case policyUpperCase:
		p.UpperCase, err = num(1)
	case policyLowerCase:
		p.LowerCase, err = num(1)
	case policySpecialChars:
		p.SpecialChars, err = num(1)
	case policyPasswordHistory:
		p.PasswordHistory, err = num(3)
	case policyHashIterations:
		p.HashIterations, err = num(-1)
	case policyHashMemory:
		p.HashMemoryKiB, err = num(-1)
	case policyNotUsername, policyNotEmail:
		if hasArg && arg != "" && arg != "undefined" {
			return invalidPolicy("password policy %q takes no value", name)
		}
		if name == policyNotUsername {
			p.NotUsername = true
		} else {
			p.NotEmail = true
		}
	default:
		return invalidPolicy("unknown password policy %q", name)
	}
	return err
}

// String returns the policy in Keycloak's string form, rules in a fixed
// order, disabled (zero) rules omitted; ParsePasswordPolicy(p.String())
// gives p back.
func (p PasswordPolicy) String() string {
	var parts []string
	count := func(name string, n int) {
		if n > 0 {
			parts = append(parts, name+"("+strconv.Itoa(n)+")")
		}
	}
	count(policyLength, p.MinLength)
	count(policyDigits, p.Digits)
	count(policyUpperCase, p.UpperCase)
	count(policyLowerCase, p.LowerCase)
	count(policySpecialChars, p.SpecialChars)
	if p.NotUsername {
		parts = append(parts, policyNotUsername)
	}
	if p.NotEmail {
		parts = append(parts, policyNotEmail)
	}
	count(policyPasswordHistory, p.PasswordHistory)
	count(policyHashIterations, p.HashIterations)
	count(policyHashMemory, p.HashMemoryKiB)
	return strings.Join(parts, " and ")
}

// Validate checks the policy's bounds: CodeInvalid with field
// "passwordPolicy", naming the policy, for a negative or too large value,
// and for hashMemory × hashIterations above MaxHashMemoryPasses.
func (p PasswordPolicy) Validate() error {
	checks := []struct {
		name     string
		v, limit int
	}{
		{policyLength, p.MinLength, MaxPolicyLength},
		{policyDigits, p.Digits, MaxPolicyCharClassCount},
		{policyUpperCase, p.UpperCase, MaxPolicyCharClassCount},
		{policyLowerCase, p.LowerCase, MaxPolicyCharClassCount},
		{policySpecialChars, p.SpecialChars, MaxPolicyCharClassCount},
		{policyPasswordHistory, p.PasswordHistory, MaxPasswordHistory},
		{policyHashIterations, p.HashIterations, MaxHashIterations},
		{policyHashMemory, p.HashMemoryKiB, MaxHashMemoryKiB},
	}
	for _, c := range checks {
		if c.v < 0 || c.v > c.limit {
			return invalidPolicy("password policy %q must be between 0 and %d", c.name, c.limit)
		}
	}
	if p.HashMemoryKiB > 0 && p.HashMemoryKiB < MinHashMemoryKiB {
		return invalidPolicy("password policy %q must be at least %d (KiB)", policyHashMemory, MinHashMemoryKiB)
	}
	if p.HashMemoryKiB > 0 && p.HashIterations > 0 && p.HashMemoryKiB*p.HashIterations > MaxHashMemoryPasses {
		return invalidPolicy("password policies %q × %q must be at most %d (KiB × iterations): each login would cost too much",
			policyHashMemory, policyHashIterations, MaxHashMemoryPasses)
	}
	return nil
}

func invalidPolicy(format string, args ...any) error {
	return iam.Invalidf("passwordPolicy", format, args...)
}
