package clientshttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/kcrep"
)

// ParseClient reads one ClientRepresentation of a larger body (the clients
// of an import) as the admin API reads a client: the representation and
// Keycloak's other fields, to be stored verbatim (registrationAccessToken
// dropped). Errors are CodeInvalid naming the field.
func ParseClient(raw json.RawMessage) (ClientRepresentation, iam.Extra, error) {
	var rep ClientRepresentation
	extra, err := iamhttp.ParseRepresentation(raw, &rep, func(f string) bool { return kcrep.Has(kcrep.Client, f) })
	if err != nil {
		return rep, nil, err
	}
	delete(extra, "registrationAccessToken")
	if len(extra) == 0 {
		extra = nil
	}
	return rep, extra, nil
}

// ImportRequest is an import of clients: Keycloak ClientRepresentations
// (with their secrets), read as ParseClient reads them, and what to do with
// those whose clientId exists (Keycloak's ifResourceExists: FAIL, SKIP or
// OVERWRITE; "" is FAIL).
type ImportRequest struct {
	IfResourceExists string            `json:"ifResourceExists,omitempty"`
	Clients          []json.RawMessage `json:"clients"`
	// Lenient is a realm import's way: what OpenGate refuses and Keycloak
	// takes is left out and reported instead of failing the import — a
	// client OpenGate cannot serve (another protocol or client
	// authenticator), and the values clients.DropUnsupported takes out of
	// the others — and so are authorizationSettings (Keycloak's
	// authorization services). Without it (partialImport, as POST
	// .../clients), these fail the import.
	Lenient bool `json:"lenient,omitempty"`
}

// ImportResults is what an import of clients did: Keycloak's partialImport
// results (resourceName the clientId, id the client's UUID), the clientIds
// whose secret is weak, and what was left out.
type ImportResults struct {
	iamhttp.PartialImportResults
	WeakSecrets []string              `json:"weakSecrets,omitempty"`
	NotImported []iamhttp.NotImported `json:"notImported,omitempty"`
	// Defaults are the realm's default clients the import made sure of
	// (clients.ImportResult.Defaults): their UUID (id) and clientId.
	Defaults []DefaultClient `json:"defaults,omitempty"`
}

// DefaultClient names a default client of a realm.
type DefaultClient struct {
	ID       string `json:"id"`
	ClientID string `json:"clientId"`
}

// Importer imports clients into a clients.Service in process.
// Client.ImportClients does the same over HTTP (the internal import route
// runs an Importer), so that every deployment takes clients through this
// one code path.
type Importer struct{ svc *clients.Service }

// NewImporter returns an Importer over svc.
func NewImporter(svc *clients.Service) *Importer { return &Importer{svc: svc} }

// ImportClients imports req's clients into realm atomically
// (clients.Service.Import). Errors: CodeInvalid naming the client's field
// ("clients[3].protocol"), and clients.Service.Import's; on any error
// nothing is imported.
func (i *Importer) ImportClients(ctx context.Context, realm iam.Realm, req ImportRequest) (ImportResults, error) {
	var out ImportResults
	list := make([]clients.ImportClient, 0, len(req.Clients))
	for n, raw := range req.Clients {
		at := fmt.Sprintf("clients[%d]", n)
		rep, extra, err := ParseClient(raw)
		if err != nil {
			return ImportResults{}, atClient(at, err)
		}
		if req.Lenient {
			if err := rep.checkProtocol(); err != nil {
				out.NotImported = append(out.NotImported, iamhttp.NotImported{Path: at,
					Reason: fmt.Sprintf("client %q: %s", deref(rep.ClientID), iam.ErrorMessage(err))})
				continue
			}
			if _, ok := extra["authorizationSettings"]; ok {
				delete(extra, "authorizationSettings")
				out.NotImported = append(out.NotImported, iamhttp.NotImported{Path: at + ".authorizationSettings",
					Reason: "OpenGate has no authorization services (resources, policies, permissions)"})
			}
		}
		c, secret, err := rep.toClient()
		if err != nil {
			return ImportResults{}, atClient(at, err)
		}
		c.Extra = extra
		if req.Lenient {
			var dropped []clients.Dropped
			c, dropped = clients.DropUnsupported(c)
			for _, d := range dropped {
				out.NotImported = append(out.NotImported, iamhttp.NotImported{Path: at + "." + d.Field,
					Reason: fmt.Sprintf("%q: %s", d.Value, d.Reason)})
			}
		}
		list = append(list, clients.ImportClient{Client: c, Secret: secret})
	}
	res, err := i.svc.Import(ctx, realm, iam.ImportMode(req.IfResourceExists), list)
	if err != nil {
		return ImportResults{}, err
	}
	out.Results = make([]iamhttp.PartialImportResult, 0, len(res.Outcomes))
	for _, o := range res.Outcomes {
		out.Add(o.Action, iamhttp.ResourceClient, o.Client.ClientID, o.Client.ID)
	}
	out.WeakSecrets = res.WeakSecrets
	for _, d := range res.Defaults {
		out.Defaults = append(out.Defaults, DefaultClient{ID: d.ID, ClientID: d.ClientID})
	}
	return out, nil
}

// atClient names the client at (the lenient parse's own index) in a
// validation error; clients.Service.Import names its own.
func atClient(at string, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid {
		return err
	}
	c := *e
	c.Field = at
	if e.Field != "" {
		c.Field += "." + e.Field
	}
	c.Message = at + ": " + e.Message
	return &c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ExportClients returns every client of realm as Keycloak's partial export
// has them: the representation with its stored Keycloak fields and, for a
// confidential client, its secret — masked as Keycloak masks it
// (clients.MaskedSecret) unless withSecrets (a full export, in process
// only: the internal export route never sends a secret).
func (i *Importer) ExportClients(ctx context.Context, realm iam.Realm, withSecrets bool) ([]json.RawMessage, error) {
	var out []json.RawMessage
	for first := 0; ; first += clients.MaxPageSize {
		page, err := i.svc.List(ctx, realm, clients.Filter{First: first, Max: clients.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			rep := fromClient(c)
			if !c.PublicClient {
				secret := clients.MaskedSecret
				if withSecrets {
					if secret, err = i.svc.Secret(ctx, realm, c.ID); err != nil {
						return nil, err
					}
				}
				rep.Secret = &secret
			}
			raw, err := json.Marshal(iamhttp.WithExtra(rep, c.Extra))
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
		}
		if len(page) < clients.MaxPageSize {
			return out, nil
		}
	}
}

// internalImport answers POST /internal/realms/{realm}/clients/import: an
// ImportRequest run by an Importer (the realm service's imports, for the
// caller whose token it forwards).
func (h *Handler) internalImport(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var req ImportRequest
	if err := iamhttp.DecodeLimit(w, r, &req, iamhttp.MaxImportBytes); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	res, err := NewImporter(h.svc).ImportClients(r.Context(), realm, req)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, res)
}

// internalExport answers GET /internal/realms/{realm}/clients/export: every
// client, secrets masked (the realm service's partial export).
func (h *Handler) internalExport(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out, err := NewImporter(h.svc).ExportClients(r.Context(), realm, false)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if out == nil {
		out = []json.RawMessage{}
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// ImportClients runs req on the remote client service as
// Importer.ImportClients does in process, for the caller whose token ctx
// carries (iamhttp.WithCallerToken): the client service authorizes it as an
// administrator of realm.
func (c *Client) ImportClients(ctx context.Context, realm iam.Realm, req ImportRequest) (ImportResults, error) {
	const op = "clientshttp.Client.ImportClients"
	if err := realm.Validate(); err != nil {
		return ImportResults{}, iam.Wrap(op, err)
	}
	var out ImportResults
	err := c.imports.Do(ctx, op, http.MethodPost, "/internal/realms/"+url.PathEscape(string(realm))+"/clients/import", req, &out)
	return out, err
}

// ExportClients returns the remote realm's clients as Importer.ExportClients
// does, for the caller whose token ctx carries. Secrets never cross the
// network: withSecrets is CodeInvalid.
func (c *Client) ExportClients(ctx context.Context, realm iam.Realm, withSecrets bool) ([]json.RawMessage, error) {
	const op = "clientshttp.Client.ExportClients"
	if withSecrets {
		return nil, iam.Wrap(op, iam.Invalidf("secrets", "client secrets are exported in process only"))
	}
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	var out []json.RawMessage
	err := c.imports.Do(ctx, op, http.MethodGet, "/internal/realms/"+url.PathEscape(string(realm))+"/clients/export", nil, &out)
	return out, err
}
