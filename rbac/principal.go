package rbac

import (
	"github.com/opengate-iam/opengate/iam"
)

// PrincipalType says what kind of subject a role mapping belongs to. Values
// are stored; the list is append-only.
type PrincipalType string

// Principal types.
const (
	// PrincipalUser is a user of the realm; its id is the user id.
	PrincipalUser PrincipalType = "user"
	// PrincipalServiceAccount is the service account of a client (the
	// subject of its client-credentials tokens); its id is the client UUID.
	PrincipalServiceAccount PrincipalType = "service_account"
	// PrincipalGroup is a group; its id is the group id. Its roles are
	// held by its members and by the members of its subgroups. PrincipalOf
	// never returns it: a group is never a token's subject.
	PrincipalGroup PrincipalType = "group"
	// PrincipalClient is the scope of a client (Keycloak's scope
	// mappings); its id is the client UUID. The roles mapped to it, with
	// the client's own roles and everything they contain, are the roles
	// its tokens may carry when it does not allow full scope. It holds no
	// group and is never a token's subject: PrincipalOf never returns it,
	// and its roles are nobody's (a token carries a role only if its
	// subject holds it too).
	PrincipalClient PrincipalType = "client"
)

// Principal is the subject of role mappings.
type Principal struct {
	Type PrincipalType
	ID   string
}

// PrincipalOf returns the principal a user id names: the service account of a
// client for iam.ServiceAccountSubject(clientUUID), else the user. It fails with
// CodeInvalid (field "id") for a malformed id.
func PrincipalOf(userID string) (Principal, error) {
	if err := validateID("id", userID); err != nil {
		return Principal{}, err
	}
	if uuid, ok := iam.ServiceAccountClient(userID); ok {
		if uuid == "" {
			return Principal{}, iam.Invalidf("id", "service account id names no client")
		}
		return Principal{Type: PrincipalServiceAccount, ID: uuid}, nil
	}
	return Principal{Type: PrincipalUser, ID: userID}, nil
}

// scopePrincipal is the scope of client clientUUID.
func scopePrincipal(clientUUID string) Principal {
	return Principal{Type: PrincipalClient, ID: clientUUID}
}

// UserID is the inverse of PrincipalOf.
func (p Principal) UserID() string {
	if p.Type == PrincipalServiceAccount {
		return iam.ServiceAccountSubject(p.ID)
	}
	return p.ID
}
