package realmshttp

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
)

// partialImportFields are the fields of Keycloak's
// PartialImportRepresentation besides the resources: the mode, under its
// current and its older name.
var partialImportFields = map[string]bool{"ifResourceExists": true, "policy": true}

// PartialImport imports into realm the users, clients, roles (realm and
// client) and groups of body, Keycloak's PartialImportRepresentation, as
// Keycloak's partialImport does: ifResourceExists (FAIL, SKIP, OVERWRITE)
// says what happens to an object that exists. The answer is Keycloak's:
// counts and one result per object. The services import their parts in
// turn — clients, users, then roles with the role mappings, groups and
// memberships of the users and clients imported — each all or nothing;
// an error in one leaves the parts imported before it (run the import again
// with SKIP to complete it). Keycloak's built-in clients the body names
// without holding (account, broker, …) are added with the roles it names.
// Fields of a RealmRepresentation other than the resources are ignored,
// as Keycloak ignores them. Errors: CodeInvalid naming the field
// (identityProviders holding anything: OpenGate has no identity
// brokering), CodeConflict under FAIL, and the services'.
func (t *Transfer) PartialImport(ctx context.Context, realm iam.Realm, body json.RawMessage) (iamhttp.PartialImportResults, error) {
	const op = "realmshttp.PartialImport"
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return iamhttp.PartialImportResults{}, iam.Wrap(op, &iam.Error{Code: iam.CodeInvalid, Message: "request body must be a JSON object", Err: err})
	}
	var mode string
	for _, field := range []string{"policy", "ifResourceExists"} {
		if raw, ok := top[field]; ok && string(bytes.TrimSpace(raw)) != "null" {
			if err := json.Unmarshal(raw, &mode); err != nil {
				return iamhttp.PartialImportResults{}, iam.Wrap(op, iam.Invalidf(field, "%s must be FAIL, SKIP or OVERWRITE", field))
			}
		}
	}
	if _, err := iam.ParseImportMode(mode); err != nil {
		return iamhttp.PartialImportResults{}, iam.Wrap(op, err)
	}
	for _, field := range []string{"identityProviders", "identityProviderMappers"} {
		if raw, ok := top[field]; ok && !emptyJSON(raw) && string(bytes.TrimSpace(raw)) != "null" {
			return iamhttp.PartialImportResults{}, iam.Wrap(op, iam.Invalidf(field, "OpenGate has no identity brokering: %s cannot be imported", field))
		}
	}
	resources := map[string]json.RawMessage{}
	for _, field := range slices.Sorted(maps.Keys(top)) {
		switch {
		case field == "users" || field == "clients" || field == "roles" || field == "groups":
			resources[field] = top[field]
		case partialImportFields[field] || kcrep.Has(kcrep.Realm, field):
		default:
			return iamhttp.PartialImportResults{}, iam.Wrap(op, iam.Invalidf(field, "unknown field %q", field))
		}
	}
	raw, err := json.Marshal(resources)
	if err != nil {
		return iamhttp.PartialImportResults{}, iam.Wrap(op, err)
	}
	f, err := splitRealm(raw)
	if err != nil {
		return iamhttp.PartialImportResults{}, iam.Wrap(op, err)
	}
	refs, err := scan(f)
	if err != nil {
		return iamhttp.PartialImportResults{}, iam.Wrap(op, err)
	}
	var report ImportReport
	res, err := t.fill(ctx, realm, f, refs, modes{clients: mode, users: mode, roles: mode}, &report)
	return res, iam.Wrap(op, err)
}

// importRealm answers POST /admin/realms with a Transfer: 201, the
// realm's Location, and the ImportReport.
func (h *Handler) importRealm(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	report, err := h.transfer.ImportRealm(iamhttp.WithCallerToken(r.Context(), r), body)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.CreatedWith(w, r, report.Realm, report)
}

// partialImport answers POST /admin/realms/{realm}/partialImport.
func (h *Handler) partialImport(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if _, err := h.svc.Get(r.Context(), realm); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	res, err := h.transfer.PartialImport(iamhttp.WithCallerToken(r.Context(), r), realm, body)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, res)
}

// readBody reads an import's JSON body, of at most iamhttp.MaxImportBytes.
func readBody(w http.ResponseWriter, r *http.Request) (json.RawMessage, error) {
	var body json.RawMessage
	if err := iamhttp.DecodeLimit(w, r, &body, iamhttp.MaxImportBytes); err != nil {
		return nil, err
	}
	return body, nil
}
