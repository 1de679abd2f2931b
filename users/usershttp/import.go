package usershttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// MaxImportBytes bounds a partialImport body.
const MaxImportBytes = 64 << 20

// PartialImportRepresentation is Keycloak's partialImport body. Only users
// are imported here; the other sections belong to other services and must
// be empty.
type PartialImportRepresentation struct {
	IfResourceExists  string               `json:"ifResourceExists,omitempty"`
	Policy            string               `json:"policy,omitempty"` // older Keycloak name of ifResourceExists
	Users             []UserRepresentation `json:"users"`
	Clients           json.RawMessage      `json:"clients,omitempty"`
	Groups            json.RawMessage      `json:"groups,omitempty"`
	Roles             json.RawMessage      `json:"roles,omitempty"`
	IdentityProviders json.RawMessage      `json:"identityProviders,omitempty"`
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
	list := make([]users.ImportUser, 0, len(rep.Users))
	for i, u := range rep.Users {
		creds, err := newCredentials(u.Credentials)
		if err != nil {
			iamhttp.Error(w, r, &iam.Error{Code: iam.CodeInvalid, Field: fmt.Sprintf("users[%d].credentials", i),
				Message: fmt.Sprintf("users[%d]: %s", i, iam.ErrorMessage(err))})
			return
		}
		list = append(list, users.ImportUser{User: u.toUser(), Credentials: creds})
	}
	res, err := h.svc.Import(r.Context(), realm, users.ImportMode(mode), list)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := PartialImportResults{Added: res.Added, Skipped: res.Skipped, Overwritten: res.Overwritten,
		Results: make([]PartialImportResult, 0, len(res.Outcomes))}
	for _, o := range res.Outcomes {
		out.Results = append(out.Results, PartialImportResult{Action: string(o.Action), ResourceType: "USER",
			ResourceName: o.User.Username, ID: o.User.ID})
	}
	iamhttp.JSON(w, http.StatusOK, out)
}
