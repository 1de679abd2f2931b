package realmshttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// ImportReport is the answer of a realm import: what was imported, and
// what was not, and why, rather than a failure.
type ImportReport struct {
	Realm    string       `json:"realm"`
	Imported ImportCounts `json:"imported"`
	// AddedClients are Keycloak's built-in clients (account, broker, …)
	// the import named without holding them: added, with the roles it
	// named, as every Keycloak realm has them.
	AddedClients []string `json:"addedClients,omitempty"`
	// WeakSecrets are the clientIds of clients imported with a secret
	// shorter than OpenGate asks for: kept (applications use them); rotate
	// them.
	WeakSecrets []string              `json:"weakSecrets"`
	NotImported []iamhttp.NotImported `json:"notImported"`
}

// ImportCounts counts what an import brought in.
type ImportCounts struct {
	Users   int `json:"users"`
	Clients int `json:"clients"`
	Roles   int `json:"roles"`
	Groups  int `json:"groups"`
}

// modes are the ifResourceExists of each service's import.
type modes struct {
	clients, users, roles string
	lenient               bool // leave out and report what OpenGate refuses (clientshttp.ImportRequest.Lenient)
}

// ImportRealm creates the realm a whole RealmRepresentation describes —
// Keycloak's realm export: its settings (SMTP and locales among them),
// clients with their secrets, realm and client roles with their
// composites, users with their credentials (Keycloak's password hashes
// too), role mappings (service accounts' included), groups with their
// role mappings and members — and reports what it left out (identity
// providers, components, scope mappings, authorization settings,
// unsupported clients and client values, …) rather than failing. Each
// service imports its part atomically; if one fails, the realm is deleted
// (with what the others imported: realm.deleted) and the error returned.
// Errors: CodeInvalid naming the field ("users[3].email"), CodeConflict
// for a realm that exists, and the services'.
func (t *Transfer) ImportRealm(ctx context.Context, raw json.RawMessage) (ImportReport, error) {
	const op = "realmshttp.ImportRealm"
	f, err := splitRealm(raw)
	if err != nil {
		return ImportReport{}, iam.Wrap(op, err)
	}
	rep, extra, err := parseRealm(f.realm)
	if err != nil {
		return ImportReport{}, iam.Wrap(op, err)
	}
	in, err := rep.toRealm()
	if err != nil {
		return ImportReport{}, iam.Wrap(op, err)
	}
	in.Extra = extra
	refs, err := scan(f)
	if err != nil {
		return ImportReport{}, iam.Wrap(op, err)
	}
	created, err := t.realms.Create(ctx, in)
	if err != nil {
		return ImportReport{}, iam.Wrap(op, err)
	}
	report := ImportReport{Realm: string(created.Name), WeakSecrets: []string{}, NotImported: f.notImported}
	res, err := t.fill(ctx, created.Name, f, refs, modes{clients: string(iam.ImportOverwrite), users: string(iam.ImportFail),
		roles: string(iam.ImportOverwrite), lenient: true}, &report)
	if err != nil {
		// The realm goes, and with it (realm.deleted) what the services
		// imported before the one that failed.
		if derr := t.realms.Delete(context.WithoutCancel(ctx), created.Name); derr != nil {
			t.log.ErrorContext(ctx, "a failed realm import left its realm", slog.String("realm", string(created.Name)),
				slog.String("error", derr.Error()))
		}
		return ImportReport{}, iam.Wrap(op, err)
	}
	for _, r := range res.Results {
		switch r.ResourceType {
		case iamhttp.ResourceUser:
			report.Imported.Users++
		case iamhttp.ResourceClient:
			report.Imported.Clients++
		case iamhttp.ResourceRealmRole, iamhttp.ResourceClientRole:
			report.Imported.Roles++
		case iamhttp.ResourceGroup:
			report.Imported.Groups++
		}
	}
	if report.NotImported == nil {
		report.NotImported = []iamhttp.NotImported{}
	}
	return report, nil
}

// fill imports f's clients, users, roles and groups into realm, in that
// order (each service atomically), and returns their results; what was
// left out, the weak secrets and the built-in clients added go to report.
func (t *Transfer) fill(ctx context.Context, realm iam.Realm, f realmFile, refs references, m modes, report *ImportReport) (iamhttp.PartialImportResults, error) {
	var out iamhttp.PartialImportResults
	clientIDs := map[string]string{} // clientId → UUID of the clients imported or found
	builtinClientIDs, builtinRoles := refs.builtins()
	if len(builtinClientIDs) > 0 {
		var reps []json.RawMessage
		for _, c := range builtinClientIDs {
			reps = append(reps, builtinClient(c))
		}
		res, err := t.clients.ImportClients(ctx, realm, clientshttp.ImportRequest{IfResourceExists: string(iam.ImportSkip), Clients: reps})
		if err != nil {
			return out, err
		}
		for _, d := range res.Defaults {
			clientIDs[d.ClientID] = d.ID
		}
		for _, r := range res.Results {
			clientIDs[r.ResourceName] = r.ID
			if r.Action == string(iam.ImportAdded) {
				out.Results = append(out.Results, r)
				out.Added++
				report.AddedClients = append(report.AddedClients, r.ResourceName)
			}
		}
	}
	// A service is called only for a section that holds something: a
	// realm created from its settings alone touches no other service.
	if len(f.clients) > 0 {
		res, err := t.clients.ImportClients(ctx, realm, clientshttp.ImportRequest{IfResourceExists: m.clients, Clients: f.clients,
			Lenient: m.lenient})
		if err != nil {
			return out, err
		}
		out.Merge(res.PartialImportResults)
		report.WeakSecrets = append(report.WeakSecrets, res.WeakSecrets...)
		report.NotImported = append(report.NotImported, res.NotImported...)
		for _, d := range res.Defaults {
			clientIDs[d.ClientID] = d.ID
		}
		for _, r := range res.Results {
			clientIDs[r.ResourceName] = r.ID
		}
	}
	dropped := map[string]bool{}
	for c := range refs.definedClients {
		if clientIDs[c] == "" {
			dropped[c] = true
		}
	}
	f = withoutClients(f, dropped, report)

	var users usershttp.ImportResults
	if len(f.users) > 0 {
		var err error
		if users, err = t.users.ImportUsers(ctx, realm, usershttp.ImportRequest{IfResourceExists: m.users, Users: f.users,
			Lenient: m.lenient}); err != nil {
			return out, err
		}
		out.Merge(users.PartialImportResults)
		report.NotImported = append(report.NotImported, users.NotImported...)
	}

	if len(builtinRoles) > 0 {
		req := rbachttp.ImportRequest{IfResourceExists: string(iam.ImportSkip), Roles: rbachttp.RolesImport{Client: map[string][]json.RawMessage{}}}
		for _, c := range slices.Sorted(maps.Keys(builtinRoles)) {
			req.Clients = append(req.Clients, rbachttp.ClientRef{ID: clientIDs[c], ClientID: c})
			for _, name := range builtinRoles[c] {
				raw, _ := json.Marshal(map[string]string{"name": name})
				req.Roles.Client[c] = append(req.Roles.Client[c], raw)
			}
		}
		if _, err := t.roles.ImportRoles(ctx, realm, req); err != nil {
			return out, err
		}
	}
	req, owners, err := rolesRequest(realm, f, refs, users.PartialImportResults, clientIDs, dropped, m.roles, report)
	if err != nil {
		return out, err
	}
	if len(req.Roles.Realm) > 0 || len(req.Roles.Client) > 0 || len(req.Mappings) > 0 || len(req.Groups) > 0 || len(req.Members) > 0 {
		roles, err := t.roles.ImportRoles(ctx, realm, req)
		if err != nil {
			return out, owners.rename(err)
		}
		out.Merge(roles)
	}
	if out.Results == nil {
		out.Results = []iamhttp.PartialImportResult{}
	}
	return out, nil
}

// builtinClient is the representation of Keycloak's built-in client
// clientID as an import adds it: a bearer-only holder of roles, with
// Keycloak's name.
func builtinClient(clientID string) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"clientId": clientID, "name": "${client_" + clientID + "}", "enabled": true,
		"bearerOnly": true, "standardFlowEnabled": false})
	return raw
}

// withoutClients takes out of f what names the dropped clients (which the
// import left out: another protocol, another client authenticator): their
// roles, and the users', groups' and composites' references to them,
// reporting each client once.
func withoutClients(f realmFile, dropped map[string]bool, report *ImportReport) realmFile {
	if len(dropped) == 0 {
		return f
	}
	for _, c := range slices.Sorted(maps.Keys(dropped)) {
		report.NotImported = append(report.NotImported, iamhttp.NotImported{Path: "roles.client." + c,
			Reason: fmt.Sprintf("client %q is not imported: nor are its roles and the mappings and composites naming them", c)})
		delete(f.roles.Client, c)
	}
	strip := func(list []json.RawMessage) []json.RawMessage {
		out := make([]json.RawMessage, len(list))
		for i, raw := range list {
			out[i] = stripClients(raw, dropped)
		}
		return out
	}
	f.users, f.groups, f.roles.Realm = strip(f.users), strip(f.groups), strip(f.roles.Realm)
	var scopes []rbachttp.ScopeMappingImport
	for _, sc := range f.scopes {
		if dropped[sc.Client] {
			continue
		}
		for c := range sc.ClientRoles {
			if dropped[c] {
				delete(sc.ClientRoles, c)
			}
		}
		scopes = append(scopes, sc)
	}
	f.scopes = scopes
	for c, list := range f.roles.Client {
		f.roles.Client[c] = strip(list)
	}
	return f
}

// stripClients removes the dropped clients from raw's clientRoles and
// composites.client, and from its subGroups', recursively. raw that is not
// an object comes back as it is.
func stripClients(raw json.RawMessage, dropped map[string]bool) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return raw
	}
	without := func(raw json.RawMessage) json.RawMessage {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || m == nil {
			return raw
		}
		for c := range dropped {
			delete(m, c)
		}
		b, _ := json.Marshal(m)
		return b
	}
	if v, ok := obj["clientRoles"]; ok {
		obj["clientRoles"] = without(v)
	}
	if v, ok := obj["composites"]; ok {
		var comp map[string]json.RawMessage
		if json.Unmarshal(v, &comp) == nil && comp != nil {
			if c, ok := comp["client"]; ok {
				comp["client"] = without(c)
			}
			obj["composites"], _ = json.Marshal(comp)
		}
	}
	if v, ok := obj["subGroups"]; ok {
		var subs []json.RawMessage
		if json.Unmarshal(v, &subs) == nil {
			for i, s := range subs {
				subs[i] = stripClients(s, dropped)
			}
			obj["subGroups"], _ = json.Marshal(subs)
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return b
}

// rolesRequest is rbac's part of an import: the clients named, the roles
// (default-roles-{realm} composed of the legacy defaultRoles), the role
// mappings and group memberships of the users imported (and of the
// clients' service accounts an export lists as users), and the groups.
func rolesRequest(realm iam.Realm, f realmFile, refs references, imported iamhttp.PartialImportResults,
	clientIDs map[string]string, dropped map[string]bool, mode string, report *ImportReport) (rbachttp.ImportRequest, owners, error) {
	req := rbachttp.ImportRequest{IfResourceExists: mode, Roles: f.roles, Groups: f.groups, ScopeMappings: f.scopes}
	var own owners
	for _, c := range slices.Sorted(maps.Keys(clientIDs)) {
		req.Clients = append(req.Clients, rbachttp.ClientRef{ID: clientIDs[c], ClientID: c})
	}
	if len(f.defaultRoles) > 0 {
		roles, err := withDefaultRoles(realm, req.Roles.Realm, f.defaultRoles)
		if err != nil {
			return req, own, err
		}
		req.Roles.Realm = roles
	}
	// The users service answers in the order of the users, service
	// accounts left out.
	ids := map[string]string{} // username → id, of the users imported or overwritten
	for _, r := range imported.Results {
		if r.Action != string(iam.ImportSkipped) {
			ids[r.ResourceName] = r.ID
		}
	}
	for i, u := range refs.users {
		var subject string
		switch {
		case u.serviceAccount != "":
			id := clientIDs[u.serviceAccount]
			if id == "" {
				if !dropped[u.serviceAccount] {
					report.NotImported = append(report.NotImported, iamhttp.NotImported{Path: fmt.Sprintf("users[%d]", i),
						Reason: fmt.Sprintf("the service account of client %q, which the import does not hold", u.serviceAccount)})
				}
				continue
			}
			subject = iam.ServiceAccountSubject(id)
		default:
			subject = ids[users.NormalizeUsername(u.username)]
			if subject == "" {
				continue // skipped
			}
		}
		clientRoles := maps.Clone(u.clientRoles)
		for c := range dropped {
			delete(clientRoles, c)
		}
		if len(u.realmRoles) > 0 || len(clientRoles) > 0 {
			req.Mappings = append(req.Mappings, rbachttp.MappingImport{UserID: subject, RealmRoles: u.realmRoles, ClientRoles: clientRoles})
			own.mappings = append(own.mappings, i)
		}
		if len(u.groups) > 0 {
			req.Members = append(req.Members, rbachttp.MemberImport{UserID: subject, Groups: u.groups})
			own.members = append(own.members, i)
		}
	}
	return req, own, nil
}

// owners are the users (their index in the import) of rbac's mappings and
// members, in order.
type owners struct{ mappings, members []int }

// rename names the user an rbac error about its mappings[i] or members[i]
// is about, as the import names it ("users[3].realmRoles",
// "users[3].groups").
func (o owners) rename(err error) error {
	var e *iam.Error
	if !errors.As(err, &e) {
		return err
	}
	for list, users := range map[string][]int{"mappings": o.mappings, "members": o.members} {
		rest, ok := strings.CutPrefix(e.Field, list+"[")
		if !ok {
			continue
		}
		index, field, _ := strings.Cut(rest, "]")
		n, convErr := strconv.Atoi(index)
		if convErr != nil || n < 0 || n >= len(users) {
			return err
		}
		at := fmt.Sprintf("users[%d]", users[n])
		c := *e
		c.Field = at + field
		c.Message = at + ": " + strings.TrimPrefix(e.Message, list+"["+index+"]: ")
		return &c
	}
	return err
}

// withDefaultRoles makes Keycloak's legacy defaultRoles the composites of
// default-roles-{realm}, in the realm roles of the import (added to its
// own, if it has one).
func withDefaultRoles(realm iam.Realm, roles []json.RawMessage, defaults []string) ([]json.RawMessage, error) {
	name := "default-roles-" + string(realm)
	out := slices.Clone(roles)
	for i, raw := range out {
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil || obj["name"] != name {
			continue
		}
		comp, _ := obj["composites"].(map[string]any)
		if comp == nil {
			comp = map[string]any{}
		}
		realmRoles, _ := comp["realm"].([]any)
		for _, d := range defaults {
			realmRoles = append(realmRoles, d)
		}
		comp["realm"] = realmRoles
		obj["composites"], obj["composite"] = comp, true
		b, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		out[i] = b
		return out, nil
	}
	b, err := json.Marshal(map[string]any{"name": name, "description": "${role_default-roles}", "composite": true,
		"composites": map[string]any{"realm": defaults}})
	if err != nil {
		return nil, err
	}
	return append(out, b), nil
}
