package rbac

import (
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// PrincipalType says what kind of subject a role mapping belongs to. Values
// are stored; the list is append-only (groups will be added).
type PrincipalType string

// Principal types.
const (
	// PrincipalUser is a user of the realm; its id is the user id.
	PrincipalUser PrincipalType = "user"
	// PrincipalServiceAccount is the service account of a client (the
	// subject of its client-credentials tokens); its id is the client UUID.
	PrincipalServiceAccount PrincipalType = "service_account"
)

// ServiceAccountPrefix prefixes a client UUID to form the user id of the
// client's service account, as Keycloak names service-account users. Every
// API taking a user id accepts it: "service-account-{clientUUID}".
const ServiceAccountPrefix = "service-account-"

// Principal is the subject of role mappings.
type Principal struct {
	Type PrincipalType
	ID   string
}

// ServiceAccountUserID returns the user id under which the service account of
// client clientUUID holds roles. auth calls EffectiveRoles with it for the
// client-credentials grant.
func ServiceAccountUserID(clientUUID string) string { return ServiceAccountPrefix + clientUUID }

// PrincipalOf returns the principal a user id names: the service account of a
// client for "service-account-{clientUUID}", else the user. It fails with
// CodeInvalid (field "id") for a malformed id.
func PrincipalOf(userID string) (Principal, error) {
	if err := validateID("id", userID); err != nil {
		return Principal{}, err
	}
	if uuid, ok := strings.CutPrefix(userID, ServiceAccountPrefix); ok {
		if uuid == "" {
			return Principal{}, iam.Invalidf("id", "service account id names no client")
		}
		return Principal{Type: PrincipalServiceAccount, ID: uuid}, nil
	}
	return Principal{Type: PrincipalUser, ID: userID}, nil
}

// UserID is the inverse of PrincipalOf.
func (p Principal) UserID() string {
	if p.Type == PrincipalServiceAccount {
		return ServiceAccountUserID(p.ID)
	}
	return p.ID
}
