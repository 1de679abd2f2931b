package users

import (
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// Dropped is a value DropUnsupported took out of a user, and why.
type Dropped struct {
	// Field is the UserRepresentation's field ("email", "requiredActions").
	Field  string
	Value  string
	Reason string
}

// DropUnsupported returns u without the values Keycloak takes but OpenGate
// refuses, and what it took out: an email OpenGate does not take for an
// address ("user@localhost", without a dot in its domain), and required
// actions its login flow does not perform ("TERMS_AND_CONDITIONS",
// "webauthn-register"). A realm import brings a Keycloak user in without
// them and reports them, rather than failing; other problems are left to
// the import's validation.
func DropUnsupported(u User) (User, []Dropped) {
	u = u.Clone()
	var dropped []Dropped
	if err := validEmail(NormalizeEmail(u.Email)); err != nil {
		dropped = append(dropped, Dropped{Field: "email", Value: u.Email, Reason: iam.ErrorMessage(err)})
		u.Email, u.EmailVerified = "", false
	}
	u.RequiredActions = slices.DeleteFunc(u.RequiredActions, func(a string) bool {
		if slices.Contains(knownActions, a) {
			return false
		}
		dropped = append(dropped, Dropped{Field: "requiredActions", Value: a, Reason: "a required action OpenGate's login does not perform"})
		return true
	})
	return u, dropped
}
