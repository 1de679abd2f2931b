package users

import (
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
)

// Limits on user fields.
const (
	MaxUsernameLength  = 255
	MaxEmailLength     = 254
	MaxNameLength      = 255
	MaxAttributes      = 100
	MaxAttributeKey    = 255
	MaxAttributeValues = 100
	MaxAttributeValue  = 2048
)

// knownActions are the required actions OpenGate's login flow performs.
var knownActions = []string{ActionVerifyEmail, ActionUpdatePassword, ActionConfigureTOTP, ActionUpdateProfile}

// normalize brings u's username and email to their stored forms
// (NormalizeUsername, NormalizeEmail), removes duplicate required actions
// and validates every field (CodeInvalid naming the field).
func normalize(u *User) error {
	u.Username = NormalizeUsername(u.Username)
	u.Email = NormalizeEmail(u.Email)
	if err := validUsername(u.Username); err != nil {
		return err
	}
	if err := validEmail(u.Email); err != nil {
		return err
	}
	if err := validName("firstName", u.FirstName); err != nil {
		return err
	}
	if err := validName("lastName", u.LastName); err != nil {
		return err
	}
	if err := validAttributes(u.Attributes); err != nil {
		return err
	}
	actions, err := normalizeActions(u.RequiredActions)
	if err != nil {
		return err
	}
	u.RequiredActions = actions
	return nil
}

func validEmail(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxEmailLength {
		return iam.Invalidf("email", "email must be at most %d characters", MaxEmailLength)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return iam.Invalidf("email", "email is not a valid address")
	}
	return nil
}

func validName(field, s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLength {
		return iam.Invalidf(field, "%s must be valid UTF-8 of at most %d characters", field, MaxNameLength)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return iam.Invalidf(field, "%s may not contain control characters", field)
		}
	}
	return nil
}

// validAttributes checks attribute names (1 to MaxAttributeKey bytes of
// text without tab or newlines) and values (iam.IsText: no NUL or other
// control characters but tab and newlines).
func validAttributes(attrs map[string][]string) error {
	if len(attrs) > MaxAttributes {
		return iam.Invalidf("attributes", "at most %d attributes", MaxAttributes)
	}
	for k, vs := range attrs {
		if k == "" || len(k) > MaxAttributeKey || !iam.IsText(k) || strings.ContainsAny(k, "\t\r\n") {
			return iam.Invalidf("attributes", "attribute names must be 1 to %d bytes of UTF-8 without control characters", MaxAttributeKey)
		}
		if len(vs) > MaxAttributeValues {
			return iam.Invalidf("attributes", "attribute %q has more than %d values", k, MaxAttributeValues)
		}
		for _, v := range vs {
			if len(v) > MaxAttributeValue || !iam.IsText(v) {
				return iam.Invalidf("attributes", "values of attribute %q must be UTF-8 of at most %d bytes without control characters other than tab and newlines", k, MaxAttributeValue)
			}
		}
	}
	return nil
}

// normalizeActions validates required actions and removes duplicates,
// keeping the first occurrence's order.
func normalizeActions(actions []string) ([]string, error) {
	out := make([]string, 0, len(actions))
	for _, a := range actions {
		if !slices.Contains(knownActions, a) {
			return nil, iam.Invalidf("requiredActions", "unknown required action %q; known: %s", a, strings.Join(knownActions, ", "))
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// validID accepts a caller-chosen id (e.g. from a Keycloak import) if it is a
// UUID in its canonical 8-4-4-4-12 form, returning it lowercase.
func validID(id string) (string, error) {
	id = strings.ToLower(id)
	if len(id) != 36 {
		return "", iam.Invalidf("id", "id must be a UUID")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", iam.Invalidf("id", "id must be a UUID")
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f'):
			return "", iam.Invalidf("id", "id must be a UUID")
		}
	}
	return id, nil
}

// withAction returns actions with a added (if missing).
func withAction(actions []string, a string) []string {
	if slices.Contains(actions, a) {
		return slices.Clone(actions)
	}
	return append(slices.Clone(actions), a)
}

// withoutAction returns actions without a.
func withoutAction(actions []string, a string) []string {
	out := make([]string, 0, len(actions))
	for _, x := range actions {
		if x != a {
			out = append(out, x)
		}
	}
	return out
}
