package usershttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// MaxImportBytes bounds an import's body.
const MaxImportBytes = iamhttp.MaxImportBytes

// PartialImportResults is Keycloak's partialImport answer.
type PartialImportResults = iamhttp.PartialImportResults

// PartialImportResult is one imported object.
type PartialImportResult = iamhttp.PartialImportResult

// ImportRequest is an import of users: Keycloak UserRepresentations, read as
// the admin API reads a user (ParseUser), and what to do with those whose
// username exists (Keycloak's ifResourceExists: FAIL, SKIP or OVERWRITE;
// "" is FAIL). Users marked as a client's service account
// (serviceAccountClientId) are not users in OpenGate and are left out.
type ImportRequest struct {
	IfResourceExists string            `json:"ifResourceExists,omitempty"`
	Users            []json.RawMessage `json:"users"`
	// Lenient is a realm import's way: what OpenGate refuses and Keycloak
	// takes is left out and reported instead of failing the import — the
	// values users.DropUnsupported takes out, and credentials other than
	// passwords (OTP, WebAuthn: enrolled again). Without it (partialImport,
	// as POST .../users), these fail the import.
	Lenient bool `json:"lenient,omitempty"`
}

// ImportResults is what an import of users did: Keycloak's partialImport
// results (resourceName the username, id the user's), and what was left
// out.
type ImportResults struct {
	iamhttp.PartialImportResults
	NotImported []iamhttp.NotImported `json:"notImported,omitempty"`
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
func (i *Importer) ImportUsers(ctx context.Context, realm iam.Realm, req ImportRequest) (ImportResults, error) {
	var out ImportResults
	list := make([]users.ImportUser, 0, len(req.Users))
	for n, raw := range req.Users {
		at := fmt.Sprintf("users[%d]", n)
		rep, extra, err := ParseUser(raw)
		if err != nil {
			return ImportResults{}, atUser(n, err)
		}
		if rep.ServiceAccountClientID != nil {
			continue
		}
		if req.Lenient {
			rep.Credentials = slices.DeleteFunc(rep.Credentials, func(c CredentialRepresentation) bool {
				if c.Type == "" || c.Type == users.CredentialPassword {
					return false
				}
				out.NotImported = append(out.NotImported, iamhttp.NotImported{Path: at + ".credentials",
					Reason: fmt.Sprintf("a %q credential is not imported: its user enrolls again", c.Type)})
				return true
			})
		}
		creds, err := newCredentials(rep.Credentials)
		if err != nil {
			return ImportResults{}, atUser(n, err)
		}
		u := rep.toUser()
		u.Extra = extra
		if req.Lenient {
			var dropped []users.Dropped
			u, dropped = users.DropUnsupported(u)
			for _, d := range dropped {
				out.NotImported = append(out.NotImported, iamhttp.NotImported{Path: at + "." + d.Field,
					Reason: fmt.Sprintf("%q: %s", d.Value, d.Reason)})
			}
		}
		list = append(list, users.ImportUser{User: u, Credentials: creds})
	}
	res, err := i.svc.Import(ctx, realm, users.ImportMode(req.IfResourceExists), list)
	if err != nil {
		return ImportResults{}, err
	}
	out.Results = make([]PartialImportResult, 0, len(res.Outcomes))
	for _, o := range res.Outcomes {
		out.Add(o.Action, iamhttp.ResourceUser, o.User.Username, o.User.ID)
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

// internalImport answers POST /internal/realms/{realm}/users/import: an
// ImportRequest run by an Importer (the realm service's imports, for the
// caller whose token it forwards).
func (h *Handler) internalImport(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	var req ImportRequest
	if err := iamhttp.DecodeLimit(w, r, &req, MaxImportBytes); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	res, err := NewImporter(h.svc).ImportUsers(r.Context(), realm, req)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, res)
}

// ImportUsers runs req on the remote user service as Importer.ImportUsers
// does in process, for the caller whose token ctx carries
// (iamhttp.WithCallerToken): the user service authorizes it as an
// administrator of realm.
func (c *Client) ImportUsers(ctx context.Context, realm iam.Realm, req ImportRequest) (ImportResults, error) {
	const op = "usershttp.Client.ImportUsers"
	if err := realm.Validate(); err != nil {
		return ImportResults{}, iam.Wrap(op, err)
	}
	var out ImportResults
	err := c.imports.Do(ctx, op, http.MethodPost, "/internal/realms/"+url.PathEscape(string(realm))+"/users/import", req, &out)
	return out, err
}

// ExportUsers returns every user of realm as a full realm export holds it
// (users.Service.Export): the representation with its stored Keycloak
// fields and its password as Keycloak 26 exports one (secretData and
// credentialData, the hash converted with password.ToKeycloak), which
// ImportUsers, and Keycloak, read back. In process only: no route serves
// it.
func (i *Importer) ExportUsers(ctx context.Context, realm iam.Realm) ([]json.RawMessage, error) {
	list, err := i.svc.Export(ctx, realm)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(list))
	for _, eu := range list {
		rep := toRepresentation(eu.User)
		if c := eu.Password; c != nil {
			kc, err := password.ToKeycloak(c.Hash)
			if err != nil {
				return nil, iam.Wrap("usershttp.ExportUsers", err)
			}
			secretData, credentialData, err := kc.JSON()
			if err != nil {
				return nil, err
			}
			rep.Credentials = []CredentialRepresentation{{ID: c.ID, Type: users.CredentialPassword, UserLabel: c.UserLabel,
				CreatedDate: c.CreatedAt.UnixMilli(), SecretData: secretData, CredentialData: credentialData}}
		}
		raw, err := json.Marshal(iamhttp.WithExtra(rep, eu.User.Extra))
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}
