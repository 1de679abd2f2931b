package usershttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// MaxImportBytes bounds a partialImport body.
const MaxImportBytes = 64 << 20

// PartialImportRepresentation is Keycloak's partialImport body as the
// users service takes it: users only; the other sections belong to other
// services and must be empty (the realm service's partialImport takes them
// all, see package realmshttp).
type PartialImportRepresentation struct {
	IfResourceExists  string            `json:"ifResourceExists,omitempty"`
	Policy            string            `json:"policy,omitempty"` // older Keycloak name of ifResourceExists
	Users             []json.RawMessage `json:"users"`
	Clients           json.RawMessage   `json:"clients,omitempty"`
	Groups            json.RawMessage   `json:"groups,omitempty"`
	Roles             json.RawMessage   `json:"roles,omitempty"`
	IdentityProviders json.RawMessage   `json:"identityProviders,omitempty"`
}

// PartialImportResults is Keycloak's partialImport answer.
type PartialImportResults struct {
	Overwritten int                   `json:"overwritten"`
	Added       int                   `json:"added"`
	Skipped     int                   `json:"skipped"`
	Results     []PartialImportResult `json:"results"`
}

// PartialImportResult is one imported object.
type PartialImportResult struct {
	Action       string `json:"action"`
	ResourceType string `json:"resourceType"`
	ResourceName string `json:"resourceName"`
	ID           string `json:"id"`
}

// Resource types of PartialImportResult (Keycloak's).
const (
	ResourceUser = "USER"
)

// ImportRequest is an import of users: Keycloak UserRepresentations, read as
// the admin API reads a user (ParseUser), and what to do with those whose
// username exists (Keycloak's ifResourceExists: FAIL, SKIP or OVERWRITE;
// "" is FAIL). Users marked as a client's service account
// (serviceAccountClientId) are not users in OpenGate and are left out.
type ImportRequest struct {
	IfResourceExists string            `json:"ifResourceExists,omitempty"`
	Users            []json.RawMessage `json:"users"`
}

// Importer imports users into a users.Service in process. Client.ImportUsers
// does the same over HTTP (the internal import route runs an Importer), so
// that every deployment takes users through this one code path.
type Importer struct{ svc *users.Service }

// NewImporter returns an Importer over svc.
func NewImporter(svc *users.Service) *Importer { return &Importer{svc: svc} }

// ImportUsers imports req's users into realm atomically (users.Service.
// Import): one result per imported user, in the request's order. Errors:
// CodeInvalid naming the offending user's field ("users[3].email"), and
// users.Service.Import's; on any error nothing is imported. Memberships
// (realmRoles, clientRoles, groups) are not the users service's: they are
// read by the caller (package realmshttp) and ignored here.
func (i *Importer) ImportUsers(ctx context.Context, realm iam.Realm, req ImportRequest) (PartialImportResults, error) {
	list := make([]users.ImportUser, 0, len(req.Users))
	for n, raw := range req.Users {
		rep, extra, err := ParseUser(raw)
		if err != nil {
			return PartialImportResults{}, atUser(n, err)
		}
		if rep.ServiceAccountClientID != nil {
			continue
		}
		creds, err := newCredentials(rep.Credentials)
		if err != nil {
			return PartialImportResults{}, atUser(n, err)
		}
		u := rep.toUser()
		u.Extra = extra
		list = append(list, users.ImportUser{User: u, Credentials: creds})
	}
	res, err := i.svc.Import(ctx, realm, users.ImportMode(req.IfResourceExists), list)
	if err != nil {
		return PartialImportResults{}, err
	}
	out := PartialImportResults{Added: res.Added, Skipped: res.Skipped, Overwritten: res.Overwritten,
		Results: make([]PartialImportResult, 0, len(res.Outcomes))}
	for _, o := range res.Outcomes {
		out.Results = append(out.Results, PartialImportResult{Action: string(o.Action), ResourceType: ResourceUser,
			ResourceName: o.User.Username, ID: o.User.ID})
	}
	return out, nil
}

// atUser names users[n] in a validation error ("users[3].email").
func atUser(n int, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid {
		return err
	}
	c := *e
	c.Field = fmt.Sprintf("users[%d]", n)
	if e.Field != "" {
		c.Field += "." + e.Field
	}
	c.Message = fmt.Sprintf("users[%d]: %s", n, e.Message)
	return &c
}

// empty reports whether a raw JSON section holds nothing.
func empty(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	return s == "" || s == "null" || s == "[]" || s == "{}"
}

func (h *Handler) partialImport(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	var rep PartialImportRepresentation
	if err := iamhttp.DecodeLimit(w, r, &rep, MaxImportBytes); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	for name, raw := range map[string]json.RawMessage{"clients": rep.Clients, "groups": rep.Groups,
		"roles": rep.Roles, "identityProviders": rep.IdentityProviders} {
		if !empty(raw) {
			iamhttp.Error(w, r, iam.Invalidf(name, "this endpoint imports users; import %s through their own service", name))
			return
		}
	}
	mode := rep.IfResourceExists
	if mode == "" {
		mode = rep.Policy
	}
	res, err := NewImporter(h.svc).ImportUsers(r.Context(), realm, ImportRequest{IfResourceExists: mode, Users: rep.Users})
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, res)
}
