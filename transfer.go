package opengate

import (
	"context"
	"encoding/json"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// ImportRealm creates a realm from a whole RealmRepresentation — a Keycloak
// realm export, or one of ExportRealm — with its users (and password
// hashes), clients (and secrets), roles, role mappings and groups, as POST
// /admin/realms does (realmshttp.Transfer.ImportRealm), and reports what
// it left out. ctx carries no principal for the deployment's own code (the
// opengate import command): nothing is checked against a caller.
func (s *Server) ImportRealm(ctx context.Context, raw json.RawMessage) (realmshttp.ImportReport, error) {
	return s.transfer.ImportRealm(ctx, raw)
}

// ExportRealm returns the whole of realm as a Keycloak realm export, secrets
// and password hashes included (realmshttp.Transfer.ExportRealm): for the
// deployment's operator (the opengate export command). Keep what it writes
// as secret as the deployment key.
func (s *Server) ExportRealm(ctx context.Context, realm iam.Realm) (json.RawMessage, error) {
	return s.transfer.ExportRealm(ctx, realm, usershttp.NewImporter(s.Users), rbachttp.NewImporter(s.RBAC))
}
