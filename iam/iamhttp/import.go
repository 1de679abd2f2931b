package iamhttp

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// MaxImportBytes bounds the body of an import (partialImport, a realm
// import, the services' internal import routes) and the answer of an
// internal export.
const MaxImportBytes = 64 << 20

// Resource types of PartialImportResult (Keycloak's).
const (
	ResourceUser       = "USER"
	ResourceClient     = "CLIENT"
	ResourceGroup      = "GROUP"
	ResourceRealmRole  = "REALM_ROLE"
	ResourceClientRole = "CLIENT_ROLE"
)

// PartialImportResults is Keycloak's partialImport answer: how many objects
// were added, skipped and overwritten, and one result each.
type PartialImportResults struct {
	Overwritten int                   `json:"overwritten"`
	Added       int                   `json:"added"`
	Skipped     int                   `json:"skipped"`
	Results     []PartialImportResult `json:"results"`
}

// PartialImportResult is what an import did with one object.
type PartialImportResult struct {
	Action       string `json:"action"`
	ResourceType string `json:"resourceType"`
	ResourceName string `json:"resourceName"`
	ID           string `json:"id"`
}

// Add records one object's result and counts its action.
func (r *PartialImportResults) Add(action iam.ImportAction, resourceType, name, id string) {
	switch action {
	case iam.ImportAdded:
		r.Added++
	case iam.ImportSkipped:
		r.Skipped++
	case iam.ImportOverwritten:
		r.Overwritten++
	}
	r.Results = append(r.Results, PartialImportResult{Action: string(action), ResourceType: resourceType,
		ResourceName: name, ID: id})
}

// Merge adds o's counts and results to r's.
func (r *PartialImportResults) Merge(o PartialImportResults) {
	r.Added += o.Added
	r.Skipped += o.Skipped
	r.Overwritten += o.Overwritten
	r.Results = append(r.Results, o.Results...)
}

// NotImported is a part of a representation an import left out, and why:
// Path names it as the body does ("clients[2].redirectUris",
// "identityProviders").
type NotImported struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

type callerTokenKey struct{}

// WithCallerToken returns a context carrying the bearer token of r, so that
// the ServiceClient calls made with it forward the token to the other
// services' internal API, which then authorize the same caller (the realm
// service's imports and exports, through the other services' import and
// export routes). A request without a bearer token leaves ctx as it is.
func WithCallerToken(ctx context.Context, r *http.Request) context.Context {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return ctx
	}
	return context.WithValue(ctx, callerTokenKey{}, token)
}

// callerToken returns the token WithCallerToken put in ctx, or "".
func callerToken(ctx context.Context) string {
	t, _ := ctx.Value(callerTokenKey{}).(string)
	return t
}

// ImportTimeout bounds an internal import or export call: as long as the
// server may take to answer any request (ServeListener's write timeout).
const ImportTimeout = 60 * time.Second

// NewImportClient returns a ServiceClient for the internal import and
// export routes of the service at baseURL: NewServiceClient's, with
// ImportTimeout and answers of up to MaxImportBytes. hc, if not nil, gives
// the transport.
func NewImportClient(service, baseURL, token string, hc *http.Client) *ServiceClient {
	c := &http.Client{Timeout: ImportTimeout}
	if hc != nil {
		c.Transport = hc.Transport
	}
	return NewServiceClient(service, baseURL, token, c, WithAnswerLimit(MaxImportBytes))
}

// AtField names the item at (a path into a larger body: "users[3]",
// "groups[0].subGroups[1]") in a validation, conflict or not-found error:
// its Field becomes at, or at.Field, and its message starts with at. Other
// errors come back as they are.
func AtField(at string, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid && e.Code != iam.CodeConflict && e.Code != iam.CodeNotFound {
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
