// Package kcrep holds the field lists of Keycloak's admin representations
// (RealmRepresentation, ClientRepresentation, UserRepresentation,
// RoleRepresentation, GroupRepresentation) as the TypeScript definitions of
// @keycloak/keycloak-admin-client AdminClientVersion declare them — the
// versioned source the lenient representations of issue 15 accept: a
// field in one of these lists is Keycloak's (stored, and returned verbatim
// where OpenGate does not implement it); a field in none is a typo, refused
// with its name.
//
// fields_gen.go is generated from the package's definitions under
// cmd/opengate/testdata/keycloak-admin-client/node_modules (installed by
// npm ci there): go test ./internal/kcrep -update rewrites it, and
// TestFieldListsAreCurrent fails while it is out of date.
//
//	for _, f := range kcrep.Fields(kcrep.Realm) { ... }
package kcrep

import "slices"

// AdminClientVersion is the @keycloak/keycloak-admin-client version the
// lists come from; it must match the test's package.json.
const AdminClientVersion = "26.7.4"

// Representation names one of Keycloak's admin representations, as its
// TypeScript interface is named.
type Representation string

// The representations whose fields are listed.
const (
	Realm  Representation = "RealmRepresentation"
	Client Representation = "ClientRepresentation"
	User   Representation = "UserRepresentation"
	Role   Representation = "RoleRepresentation"
	Group  Representation = "GroupRepresentation"
)

// Representations returns every listed representation.
func Representations() []Representation { return []Representation{Realm, Client, User, Role, Group} }

// Fields returns the JSON field names of rep, sorted (a copy: the caller
// may change it); nil for a representation that is not listed.
func Fields(rep Representation) []string {
	return slices.Clone(fields[rep])
}

// Has reports whether field is a field of rep.
func Has(rep Representation, field string) bool {
	_, ok := slices.BinarySearch(fields[rep], field)
	return ok
}
