package realmshttp

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
)

// UserExporter exports a realm's users with their password hashes
// (usershttp.Importer, in process only).
type UserExporter interface {
	ExportUsers(ctx context.Context, realm iam.Realm) ([]json.RawMessage, error)
}

// MembershipReader reads what an export lists on a subject: its role
// mappings and the paths of its groups (rbachttp.Importer, in process).
type MembershipReader interface {
	Memberships(ctx context.Context, realm iam.Realm, userID string) (rbachttp.MappingImport, []string, error)
}

// PartialExport returns realm as Keycloak's partial export does: its
// settings (the SMTP password masked), with clients its clients (secrets
// masked as Keycloak masks them, "**********"), with groupsAndRoles its
// realm and client roles (composites by name) and groups (with their role
// mappings); never users. The parts are read one after the other, not in
// one snapshot.
func (t *Transfer) PartialExport(ctx context.Context, realm iam.Realm, clients, groupsAndRoles bool) (json.RawMessage, error) {
	const op = "realmshttp.PartialExport"
	out, err := t.export(ctx, realm, clients, groupsAndRoles, false)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	return json.Marshal(out)
}

// ExportRealm returns the whole of realm as a Keycloak realm export: its
// settings, clients, roles and groups with their secrets in clear (the
// SMTP password, client secrets), and its users with their password
// hashes (as Keycloak's secretData and credentialData), role mappings and
// groups, and the clients' service accounts as Keycloak lists them (users
// with serviceAccountClientId). ImportRealm takes it back. It is for the
// deployment's operator (the opengate export command, in process): no
// route serves it.
func (t *Transfer) ExportRealm(ctx context.Context, realm iam.Realm, users UserExporter, members MembershipReader) (json.RawMessage, error) {
	const op = "realmshttp.ExportRealm"
	out, err := t.export(ctx, realm, true, true, true)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	list, err := users.ExportUsers(ctx, realm)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	all := make([]json.RawMessage, 0, len(list))
	for _, raw := range list {
		var u map[string]any
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, iam.Wrap(op, err)
		}
		id, _ := u["id"].(string)
		if err := withMemberships(ctx, realm, members, id, u); err != nil {
			return nil, iam.Wrap(op, err)
		}
		b, err := json.Marshal(u)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		all = append(all, b)
	}
	var cs []map[string]any
	if err := json.Unmarshal(out["clients"], &cs); err != nil {
		return nil, iam.Wrap(op, err)
	}
	for _, c := range cs {
		if enabled, _ := c["serviceAccountsEnabled"].(bool); !enabled {
			continue
		}
		id, _ := c["id"].(string)
		clientID, _ := c["clientId"].(string)
		u := map[string]any{"username": "service-account-" + clientID, "enabled": true, "serviceAccountClientId": clientID}
		if err := withMemberships(ctx, realm, members, iam.ServiceAccountSubject(id), u); err != nil {
			return nil, iam.Wrap(op, err)
		}
		b, err := json.Marshal(u)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		all = append(all, b)
	}
	if out["users"], err = json.Marshal(all); err != nil {
		return nil, iam.Wrap(op, err)
	}
	return json.Marshal(out)
}

// withMemberships sets u's realmRoles, clientRoles and groups to those of
// subject.
func withMemberships(ctx context.Context, realm iam.Realm, members MembershipReader, subject string, u map[string]any) error {
	m, groups, err := members.Memberships(ctx, realm, subject)
	if err != nil {
		return err
	}
	if len(m.RealmRoles) > 0 {
		u["realmRoles"] = m.RealmRoles
	}
	if len(m.ClientRoles) > 0 {
		u["clientRoles"] = m.ClientRoles
	}
	if len(groups) > 0 {
		u["groups"] = groups
	}
	return nil
}

// export reads the realm's representation and, as asked, its clients,
// roles and groups, as the fields of one RealmRepresentation.
func (t *Transfer) export(ctx context.Context, realm iam.Realm, clients, groupsAndRoles, secrets bool) (map[string]json.RawMessage, error) {
	rl, err := t.realms.Get(ctx, realm)
	if err != nil {
		return nil, err
	}
	rep := fromRealm(rl, secrets)
	rep.RealmID = nil // OpenGate's id of the realm: not Keycloak's, and made anew on import
	raw, err := json.Marshal(iamhttp.WithExtra(rep, rl.Extra))
	if err != nil {
		return nil, err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if !clients && !groupsAndRoles {
		return out, nil
	}
	cs, err := t.clients.ExportClients(ctx, realm, secrets)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		cs = []json.RawMessage{}
	}
	if clients {
		if out["clients"], err = json.Marshal(cs); err != nil {
			return nil, err
		}
	}
	if !groupsAndRoles {
		return out, nil
	}
	req := rbachttp.ExportRequest{Groups: true}
	for _, raw := range cs {
		var ref rbachttp.ClientRef
		if err := json.Unmarshal(raw, &ref); err != nil {
			return nil, err
		}
		req.Clients = append(req.Clients, ref)
	}
	roles, err := t.roles.ExportRoles(ctx, realm, req)
	if err != nil {
		return nil, err
	}
	if out["roles"], err = json.Marshal(roles.Roles); err != nil {
		return nil, err
	}
	if out["groups"], err = json.Marshal(roles.Groups); err != nil {
		return nil, err
	}
	if len(roles.ScopeMappings) > 0 {
		if out["scopeMappings"], err = json.Marshal(roles.ScopeMappings); err != nil {
			return nil, err
		}
	}
	if len(roles.ClientScopeMappings) > 0 {
		if out["clientScopeMappings"], err = json.Marshal(roles.ClientScopeMappings); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// partialExport answers POST /admin/realms/{realm}/partial-export
// ?exportClients=&exportGroupsAndRoles= (both false by default).
func (h *Handler) partialExport(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	flags := map[string]bool{}
	for _, name := range []string{"exportClients", "exportGroupsAndRoles"} {
		b, err := iamhttp.Bool(r, name)
		if err != nil {
			iamhttp.Error(w, r, err)
			return
		}
		flags[name] = b != nil && *b
	}
	out, err := h.transfer.PartialExport(iamhttp.WithCallerToken(r.Context(), r), realm, flags["exportClients"], flags["exportGroupsAndRoles"])
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, out)
}
