package realmshttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// realmFile is a RealmRepresentation of an import split into what each
// service takes.
type realmFile struct {
	realm   json.RawMessage // the realm's own settings
	users   []json.RawMessage
	clients []json.RawMessage
	roles   rbachttp.RolesImport
	groups  []json.RawMessage
	// scopes are the scope mappings of scopeMappings (realm roles) and
	// clientScopeMappings (client roles), of the entries naming a client.
	scopes []rbachttp.ScopeMappingImport
	// defaultRoles is Keycloak's legacy list of the roles every new user
	// gets: the composites of default-roles-{realm}.
	defaultRoles []string
	notImported  []iamhttp.NotImported
}

// notImportedFields are the fields of a realm export that no service of
// OpenGate takes, with the reason an import reports when one holds
// something.
var notImportedFields = map[string]string{
	"defaultGroups":           "OpenGate has no default groups: new users join no group",
	"identityProviders":       "OpenGate has no identity brokering",
	"identityProviderMappers": "OpenGate has no identity brokering",
	"components":              "components (key providers, user storage, …) are not imported: OpenGate makes the realm's signing keys itself",
	"userFederationProviders": "OpenGate has no user federation",
	"userFederationMappers":   "OpenGate has no user federation",
	"federatedUsers":          "OpenGate has no user federation",
	// Fields of Keycloak's Java RealmRepresentation that its admin client
	// no longer declares (older exports carry them).
	"privateKey":                        "realm keys are not imported: OpenGate makes the realm's signing keys itself (tokens signed by the old keys are not accepted)",
	"publicKey":                         "realm keys are not imported: OpenGate makes the realm's signing keys itself (tokens signed by the old keys are not accepted)",
	"certificate":                       "realm keys are not imported: OpenGate makes the realm's signing keys itself (tokens signed by the old keys are not accepted)",
	"codeSecret":                        "a deprecated Keycloak field",
	"requiredCredentials":               "a deprecated Keycloak field: a password is always required",
	"passwordCredentialGrantAllowed":    "a deprecated Keycloak field: clients' directAccessGrantsEnabled says it",
	"social":                            "a deprecated Keycloak field",
	"updateProfileOnInitialSocialLogin": "a deprecated Keycloak field",
	"socialProviders":                   "a deprecated Keycloak field",
	"applications":                      "a deprecated Keycloak field: export the clients as clients",
	"oauthClients":                      "a deprecated Keycloak field: export the clients as clients",
	"applicationScopeMappings":          "a deprecated Keycloak field: export the scope mappings as clientScopeMappings",
	"clientTemplates":                   "a deprecated Keycloak field",
}

// splitRealm splits an import's body, one RealmRepresentation, into the
// sections each service imports, the realm's own settings, and what is
// not imported (reported when it holds something). A section of the wrong
// shape is CodeInvalid naming it.
func splitRealm(raw json.RawMessage) (realmFile, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return realmFile{}, &iam.Error{Code: iam.CodeInvalid, Message: "request body must be a JSON object", Err: err}
	}
	var f realmFile
	take := func(field string, v any) error {
		raw, ok := top[field]
		delete(top, field)
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			return nil
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return iam.Invalidf(field, "%s does not have the shape of Keycloak's", field)
		}
		return nil
	}
	for field, v := range map[string]any{"users": &f.users, "clients": &f.clients, "roles": &f.roles,
		"groups": &f.groups, "defaultRoles": &f.defaultRoles} {
		if err := take(field, v); err != nil {
			return realmFile{}, err
		}
	}
	var scopes []scopeEntry
	var clientScopes map[string][]scopeEntry
	if err := take("scopeMappings", &scopes); err != nil {
		return realmFile{}, err
	}
	if err := take("clientScopeMappings", &clientScopes); err != nil {
		return realmFile{}, err
	}
	f.takeScopes(scopes, clientScopes)
	// Keycloak's id of the realm (a UUID in recent exports) is its own;
	// defaultRole names the realm's default role, which roles holds.
	delete(top, "id")
	delete(top, "defaultRole")
	for _, field := range slices.Sorted(maps.Keys(notImportedFields)) {
		raw, ok := top[field]
		if !ok {
			continue
		}
		delete(top, field)
		if !emptyJSON(raw) && string(bytes.TrimSpace(raw)) != "null" {
			f.notImported = append(f.notImported, iamhttp.NotImported{Path: field, Reason: notImportedFields[field]})
		}
	}
	var err error
	if f.realm, err = json.Marshal(top); err != nil {
		return realmFile{}, err
	}
	return f, nil
}

// scopeEntry is one entry of Keycloak's scopeMappings or
// clientScopeMappings: roles mapped to the scope of a client, or of a
// client scope.
type scopeEntry struct {
	Client      string   `json:"client"`
	ClientScope string   `json:"clientScope"`
	Roles       []string `json:"roles"`
}

// takeScopes adds the scope mappings of clients to f.scopes, and reports
// those of client scopes (OpenGate has none) as not imported.
func (f *realmFile) takeScopes(scopes []scopeEntry, clientScopes map[string][]scopeEntry) {
	add := func(path string, e scopeEntry, roleClient string) {
		switch {
		case e.Client == "":
			reason := "a scope mapping names no client"
			if e.ClientScope != "" {
				reason = fmt.Sprintf("client scope %q: OpenGate has no client scopes", e.ClientScope)
			}
			f.notImported = append(f.notImported, iamhttp.NotImported{Path: path, Reason: reason})
		case len(e.Roles) == 0:
		case roleClient == "":
			f.scopes = append(f.scopes, rbachttp.ScopeMappingImport{Client: e.Client, RealmRoles: e.Roles})
		default:
			f.scopes = append(f.scopes, rbachttp.ScopeMappingImport{Client: e.Client, ClientRoles: map[string][]string{roleClient: e.Roles}})
		}
	}
	for i, e := range scopes {
		add(fmt.Sprintf("scopeMappings[%d]", i), e, "")
	}
	for _, roleClient := range slices.Sorted(maps.Keys(clientScopes)) {
		for i, e := range clientScopes[roleClient] {
			add(fmt.Sprintf("clientScopeMappings.%s[%d]", roleClient, i), e, roleClient)
		}
	}
}

// builtinClients are the clients every Keycloak realm has. An import that
// names one of them (its roles, in a mapping or a composite) without
// holding it gets it, with the roles it names: Keycloak has them.
var builtinClients = map[string]bool{"account": true, "account-console": true, "admin-cli": true, "broker": true,
	"realm-management": true, "security-admin-console": true}

// parsedUser is what an import reads of a user besides what the users
// service takes.
type parsedUser struct {
	username       string
	realmRoles     []string
	clientRoles    map[string][]string
	groups         []string
	serviceAccount string // the clientId of the client whose service account it is
}

// references is what an import's users, roles and groups name.
type references struct {
	users []parsedUser
	// clientRoles are the client roles named, by clientId.
	clientRoles map[string]map[string]bool
	// definedClients are the clientIds of the import's clients;
	// definedRoles the client roles its roles section defines.
	definedClients map[string]bool
	definedRoles   map[string]map[string]bool
}

// scan reads the references of f, failing on a user, client or role that
// cannot be read (CodeInvalid naming it).
func scan(f realmFile) (references, error) {
	refs := references{clientRoles: map[string]map[string]bool{}, definedClients: map[string]bool{},
		definedRoles: map[string]map[string]bool{}}
	name := func(clientID string, roles ...string) {
		if refs.clientRoles[clientID] == nil {
			refs.clientRoles[clientID] = map[string]bool{}
		}
		for _, r := range roles {
			refs.clientRoles[clientID][r] = true
		}
	}
	for i, raw := range f.users {
		rep, _, err := usershttp.ParseUser(raw)
		if err != nil {
			return references{}, iamhttp.AtField(fmt.Sprintf("users[%d]", i), err)
		}
		u := parsedUser{realmRoles: rep.RealmRoles, clientRoles: rep.ClientRoles, groups: rep.Groups}
		if rep.Username != nil {
			u.username = *rep.Username
		}
		if rep.ServiceAccountClientID != nil {
			u.serviceAccount = *rep.ServiceAccountClientID
		}
		for c, roles := range rep.ClientRoles {
			name(c, roles...)
		}
		refs.users = append(refs.users, u)
	}
	for i, raw := range f.clients {
		rep, _, err := clientshttp.ParseClient(raw)
		if err != nil {
			return references{}, iamhttp.AtField(fmt.Sprintf("clients[%d]", i), err)
		}
		if rep.ClientID != nil {
			refs.definedClients[*rep.ClientID] = true
		}
	}
	scanRole := func(field string, raw json.RawMessage) error {
		rep, err := rbachttp.ParseRole(raw)
		if err != nil {
			return iamhttp.AtField(field, err)
		}
		if rep.Composites != nil {
			for c, roles := range rep.Composites.Client {
				name(c, roles...)
			}
		}
		return nil
	}
	for i, raw := range f.roles.Realm {
		if err := scanRole(fmt.Sprintf("roles.realm[%d]", i), raw); err != nil {
			return references{}, err
		}
	}
	for c, list := range f.roles.Client {
		refs.definedRoles[c] = map[string]bool{}
		for i, raw := range list {
			if err := scanRole(fmt.Sprintf("roles.client.%s[%d]", c, i), raw); err != nil {
				return references{}, err
			}
			rep, _ := rbachttp.ParseRole(raw)
			refs.definedRoles[c][rep.Name] = true
		}
	}
	for _, raw := range f.groups {
		groupRefs(raw, name)
	}
	return refs, nil
}

// groupRefs reports the client roles a group and its subgroups name; a
// group that cannot be read is left to the import to refuse.
func groupRefs(raw json.RawMessage, name func(clientID string, roles ...string)) {
	var g struct {
		ClientRoles map[string][]string `json:"clientRoles"`
		SubGroups   []json.RawMessage   `json:"subGroups"`
	}
	if json.Unmarshal(raw, &g) != nil {
		return
	}
	for c, roles := range g.ClientRoles {
		name(c, roles...)
	}
	for _, sub := range g.SubGroups {
		groupRefs(sub, name)
	}
}

// builtins returns the built-in clients refs name but the import does not
// hold, and the roles named of each that the import does not define.
func (refs references) builtins() (clients []string, roles map[string][]string) {
	roles = map[string][]string{}
	for _, c := range slices.Sorted(maps.Keys(refs.clientRoles)) {
		if !builtinClients[c] {
			continue
		}
		if !refs.definedClients[c] {
			clients = append(clients, c)
		}
		for _, r := range slices.Sorted(maps.Keys(refs.clientRoles[c])) {
			if !refs.definedRoles[c][r] {
				roles[c] = append(roles[c], r)
			}
		}
	}
	return clients, roles
}
