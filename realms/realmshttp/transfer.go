package realmshttp

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// UserImporter imports users: usershttp.Importer in process,
// usershttp.Client across processes.
type UserImporter interface {
	ImportUsers(ctx context.Context, realm iam.Realm, req usershttp.ImportRequest) (usershttp.ImportResults, error)
}

// ClientImporter imports and exports clients: clientshttp.Importer in
// process, clientshttp.Client across processes (which never exports a
// secret).
type ClientImporter interface {
	ImportClients(ctx context.Context, realm iam.Realm, req clientshttp.ImportRequest) (clientshttp.ImportResults, error)
	ExportClients(ctx context.Context, realm iam.Realm, withSecrets bool) ([]json.RawMessage, error)
}

// RoleImporter imports and exports roles, role mappings and groups:
// rbachttp.Importer in process, rbachttp.Client across processes.
type RoleImporter interface {
	ImportRoles(ctx context.Context, realm iam.Realm, req rbachttp.ImportRequest) (iamhttp.PartialImportResults, error)
	ExportRoles(ctx context.Context, realm iam.Realm, req rbachttp.ExportRequest) (rbachttp.Export, error)
}

// Transfer moves whole realms in and out of OpenGate in Keycloak's
// representation: the realm import of POST /admin/realms, partialImport,
// partial-export, and the full export and import of the opengate command.
// The realms service runs it, over the other services' importers: their
// Importers in the all-in-one, their remote Clients in realm-service —
// one code path for both deployments. Calls over HTTP forward the caller's
// token (iamhttp.WithCallerToken), so each service authorizes the caller
// itself.
type Transfer struct {
	realms  *realms.Service
	users   UserImporter
	clients ClientImporter
	roles   RoleImporter
	log     *slog.Logger
}

// NewTransfer returns a Transfer over the realms service and the others'
// importers.
func NewTransfer(realmsSvc *realms.Service, users UserImporter, clients ClientImporter, roles RoleImporter, log *slog.Logger) *Transfer {
	if log == nil {
		log = slog.Default()
	}
	return &Transfer{realms: realmsSvc, users: users, clients: clients, roles: roles, log: log}
}

// WithTransfer makes POST /admin/realms import a whole RealmRepresentation
// (its users, clients, roles and groups with the realm) and serves
// partialImport and partial-export, through t. Without it, POST
// /admin/realms creates a realm from its own settings only, and those
// routes are not served.
func WithTransfer(t *Transfer) Option {
	return func(h *Handler) { h.transfer = t }
}
