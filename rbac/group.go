package rbac

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
)

// Group is a group of users (Keycloak's GroupRepresentation): groups nest,
// and a user who belongs to a group holds the roles mapped to it and to
// every group above it. Names are unique among siblings (the top-level
// groups of a realm, or the subgroups of one group).
type Group struct {
	ID    string // UUIDv7, immutable
	Realm iam.Realm
	Name  string
	// Description is free text (Keycloak 26's group description).
	Description string
	// ParentID is the id of the group it is a subgroup of; "" for a
	// top-level group. Changed only by moving the group (MoveGroup).
	ParentID string
	// Path is "/" followed by the names of the group's ancestors and its
	// own, separated by "/": "/top/sub". Read-only: stores fill it in.
	Path       string
	Attributes map[string][]string
	// Extra holds the fields of Keycloak's GroupRepresentation OpenGate
	// does not implement, as the admin API received them: stored and
	// returned verbatim, never enforced.
	Extra iam.Extra
	// SubGroupCount is the number of its direct subgroups. Read-only:
	// stores fill it in.
	SubGroupCount int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Clone returns g with its own copies of Attributes and Extra.
func (g Group) Clone() Group {
	g.Attributes = Role{Attributes: g.Attributes}.Clone().Attributes
	g.Extra = g.Extra.Clone()
	return g
}

// GroupFilter selects groups. Zero fields select everything.
type GroupFilter struct {
	// Parent, when set, keeps the direct subgroups of the group with that
	// id, or the top-level groups for "".
	Parent *string
	// Member, when set, keeps the groups the subject (a user id, or
	// "service-account-{clientUUID}") belongs to directly.
	Member string
	// Subtree, when set, keeps the group whose path it is and its
	// subgroups at any depth.
	Subtree string
	// Search keeps the groups whose name contains it, ignoring case; with
	// Exact, whose name is it.
	Search string
	Exact  bool
	// Attributes keeps the groups that have, for each name, the given
	// value among the attribute's values (Keycloak's q=name:value).
	Attributes map[string]string
	// First and Max page the result (Max <= 0: no limit); groups are
	// ordered by name, then path.
	First int
	Max   int
}

// Membership is one user's (or service account's) direct membership of a
// group.
type Membership struct {
	GroupID string
	UserID  string // a user id, or "service-account-{clientUUID}"
}

// GroupImport is a batch of groups, memberships and group role mappings
// that Store.ImportGroups stores at once.
type GroupImport struct {
	// Groups have their ID, Realm, Name, ParentID and timestamps set, each
	// parent before its subgroups; a ParentID names a group of the batch
	// or an existing group.
	Groups []Group
	// Members are memberships of groups of the batch or existing groups.
	Members []Membership
	// Roles maps a group id to the ids of the roles mapped to it.
	Roles map[string][]string
}

// GroupPathSeparator separates the names of a group path.
const GroupPathSeparator = "/"

// validateGroup checks the fields a caller sets. Errors are CodeInvalid
// naming the field.
func validateGroup(g Group) error {
	if err := validateGroupName(g.Name); err != nil {
		return err
	}
	if utf8.RuneCountInString(g.Description) > MaxDescriptionLength || !iam.IsText(g.Description) {
		return iam.Invalidf("description", "description must be UTF-8 of at most %d characters without control characters other than tab and newlines", MaxDescriptionLength)
	}
	return validateAttributes(g.Attributes)
}

// validateGroupName checks a group name: 1 to 255 characters, no control
// characters, no leading or trailing space, and no "/" (the separator of
// group paths: a name holding one would make paths ambiguous).
func validateGroupName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return iam.Invalidf("name", "Group name is missing")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLength:
		return iam.Invalidf("name", "group name must be valid UTF-8 of at most %d characters", MaxNameLength)
	case strings.TrimSpace(name) != name:
		return iam.Invalidf("name", "group name must not start or end with a space")
	case strings.Contains(name, GroupPathSeparator):
		return iam.Invalidf("name", "group name must not contain %q, the separator of group paths", GroupPathSeparator)
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return iam.Invalidf("name", "group name must not contain control characters")
		}
	}
	return nil
}

// GroupPath returns the path of a group named name under the group whose
// path is parentPath ("" for a top-level group).
func GroupPath(parentPath, name string) string {
	return parentPath + GroupPathSeparator + name
}

// SplitGroupPath returns the names of path ("/top/sub" or "top/sub"; a
// trailing "/" is ignored, as Keycloak does), or nil when it names no group.
func SplitGroupPath(path string) []string {
	path = strings.TrimSuffix(strings.TrimPrefix(path, GroupPathSeparator), GroupPathSeparator)
	if path == "" {
		return nil
	}
	names := strings.Split(path, GroupPathSeparator)
	for _, n := range names {
		if n == "" {
			return nil
		}
	}
	return names
}

// ParentPath returns the path of the group above the group at path ("" for
// a top-level group).
func ParentPath(path string) string {
	i := strings.LastIndex(path, GroupPathSeparator)
	if i <= 0 {
		return ""
	}
	return path[:i]
}

// InSubtree reports whether the group at path is the group at top or one of
// its subgroups, at any depth.
func InSubtree(path, top string) bool {
	return path == top || strings.HasPrefix(path, top+GroupPathSeparator)
}
