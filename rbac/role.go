package rbac

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
)

// Role is a realm role (ClientUUID == "") or a client role (Keycloak's
// RoleRepresentation). Names are unique per container: per realm for realm
// roles, per client for client roles.
type Role struct {
	ID          string // UUIDv7, immutable
	Realm       iam.Realm
	Name        string
	Description string
	// ClientUUID is the id (UUID) of the client owning a client role; "" for
	// a realm role. Keycloak's containerId is the realm name for realm roles
	// and this UUID for client roles.
	ClientUUID string
	// ClientID is the public clientId of the owning client, as rbac last
	// heard of it; "" for a realm role. Read-only: stores fill it in.
	ClientID   string
	Attributes map[string][]string
	// Composite is true when the role contains other roles. Read-only:
	// stores fill it in.
	Composite bool
	// Extra holds the fields of Keycloak's RoleRepresentation OpenGate
	// does not implement (scopeParamRequired), as the admin API received
	// them: stored and returned verbatim, never enforced.
	Extra     iam.Extra
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsClientRole reports whether r belongs to a client.
func (r Role) IsClientRole() bool { return r.ClientUUID != "" }

// ContainerID is Keycloak's containerId: the realm name for a realm role, the
// client UUID for a client role.
func (r Role) ContainerID() string {
	if r.IsClientRole() {
		return r.ClientUUID
	}
	return string(r.Realm)
}

// Label names the role for messages: "name" for a realm role, "clientId/name"
// for a client role.
func (r Role) Label() string {
	if !r.IsClientRole() {
		return r.Name
	}
	c := r.ClientID
	if c == "" {
		c = r.ClientUUID
	}
	return c + "/" + r.Name
}

// Client is what rbac knows of a client: its UUID and public clientId. rbac
// learns clients from client.* events (or a ClientResolver) so that client
// roles can be keyed by clientId in tokens.
type Client struct {
	Realm    iam.Realm
	ID       string // UUID, Keycloak's client id
	ClientID string // public clientId
}

// RoleFilter selects the roles of one container. ClientUUID "" selects realm
// roles. Search, when set, keeps roles whose name contains it (ignoring
// case). Max <= 0 means no limit.
type RoleFilter struct {
	ClientUUID string
	Search     string
	First      int
	Max        int
}

// Page is an offset and a limit; Max <= 0 means no limit.
type Page struct {
	First int
	Max   int
}

// Role names with a meaning to rbac. Every realm holds them (see
// Service.EnsureRealmDefaults).
const (
	// RoleOfflineAccess lets a client obtain offline tokens (Keycloak's
	// built-in role).
	RoleOfflineAccess = "offline_access"
	// RoleUMAAuthorization is Keycloak's built-in UMA role.
	RoleUMAAuthorization = "uma_authorization"
	// DefaultRolesPrefix prefixes the realm name to form the default
	// composite role given to each new user.
	DefaultRolesPrefix = "default-roles-"
)

// DefaultRoleName is the name of realm's default composite role,
// "default-roles-{realm}".
func DefaultRoleName(realm iam.Realm) string { return DefaultRolesPrefix + string(realm) }

// Limits on role fields.
const (
	MaxNameLength        = 255
	MaxDescriptionLength = 1024
	MaxAttributes        = 64
	MaxAttributeValues   = 64
	MaxAttributeLength   = 1024
)

// validateRole checks the fields a caller sets. Errors are CodeInvalid naming
// the field.
func validateRole(r Role) error {
	if err := validateName(r.Name); err != nil {
		return err
	}
	if utf8.RuneCountInString(r.Description) > MaxDescriptionLength || !iam.IsText(r.Description) {
		return iam.Invalidf("description", "description must be UTF-8 of at most %d characters without control characters other than tab and newlines", MaxDescriptionLength)
	}
	return validateAttributes(r.Attributes)
}

// validateAttributes checks the attributes of a role or a group: at most
// MaxAttributes names of text, each with at most MaxAttributeValues values
// of at most MaxAttributeLength bytes. Errors are CodeInvalid, field
// "attributes".
func validateAttributes(attrs map[string][]string) error {
	if len(attrs) > MaxAttributes {
		return iam.Invalidf("attributes", "at most %d attributes", MaxAttributes)
	}
	for k, vs := range attrs {
		if k == "" || len(k) > MaxAttributeLength || !iam.IsText(k) || strings.ContainsAny(k, "\t\r\n") {
			return iam.Invalidf("attributes", "attribute names must be 1 to %d bytes of UTF-8 without control characters", MaxAttributeLength)
		}
		if len(vs) > MaxAttributeValues {
			return iam.Invalidf("attributes", "attribute %q has more than %d values", k, MaxAttributeValues)
		}
		for _, v := range vs {
			if len(v) > MaxAttributeLength || !iam.IsText(v) {
				return iam.Invalidf("attributes", "values of attribute %q must be UTF-8 of at most %d bytes without control characters other than tab and newlines", k, MaxAttributeLength)
			}
		}
	}
	return nil
}

// validateName checks a role name: 1 to 255 characters, no control
// characters, no leading or trailing space.
func validateName(name string) error {
	if name == "" {
		return iam.Invalidf("name", "role name is required")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLength {
		return iam.Invalidf("name", "role name must be valid UTF-8 of at most %d characters", MaxNameLength)
	}
	if strings.TrimSpace(name) != name {
		return iam.Invalidf("name", "role name must not start or end with a space")
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return iam.Invalidf("name", "role name must not contain control characters")
		}
	}
	return nil
}

// validateID checks an id taken from a caller (role, user or client id):
// 1 to 255 printable ASCII characters.
func validateID(field, id string) error {
	if id == "" || len(id) > 255 {
		return iam.Invalidf(field, "%s must be 1 to 255 characters", field)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= 0x20 || id[i] >= 0x7f {
			return iam.Invalidf(field, "%s must be printable ASCII without spaces", field)
		}
	}
	return nil
}

// Clone returns r with its own copy of Attributes, so stores can copy roles
// in and out.
func (r Role) Clone() Role {
	if r.Attributes != nil {
		m := make(map[string][]string, len(r.Attributes))
		for k, v := range r.Attributes {
			m[k] = append([]string(nil), v...)
		}
		r.Attributes = m
	}
	r.Extra = r.Extra.Clone()
	return r
}
