package usershttp

import (
	"encoding/json"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/users"
)

// decodeUser reads a UserRepresentation as Keycloak does
// (iamhttp.DecodeRepresentation over kcrep's user fields): the fields of
// UserRepresentation are decoded (Keycloak's string scalars coerced),
// Keycloak's other fields are returned to be stored verbatim, and any other
// field is refused naming it.
func decodeUser(w http.ResponseWriter, r *http.Request) (UserRepresentation, iam.Extra, error) {
	var rep UserRepresentation
	extra, err := iamhttp.DecodeRepresentation(w, r, &rep, isUserField)
	return rep, extra, err
}

// ParseUser reads one UserRepresentation of a larger body (the users of a
// realm import) as the admin API reads a user: the representation and
// Keycloak's other fields, to be stored verbatim in users.User.Extra.
// Errors are CodeInvalid naming the field.
func ParseUser(raw json.RawMessage) (UserRepresentation, iam.Extra, error) {
	var rep UserRepresentation
	extra, err := iamhttp.ParseRepresentation(raw, &rep, isUserField)
	return rep, extra, err
}

func isUserField(f string) bool { return kcrep.Has(kcrep.User, f) }

// userJSON is the representation of u with its stored Keycloak fields.
func userJSON(u users.User) any { return iamhttp.WithExtra(toRepresentation(u), u.Extra) }
