package clients

import (
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Client is an OAuth 2.0 client of a realm (Keycloak's ClientRepresentation).
// ID is the immutable UUID; ClientID is the public name, unique per realm.
// The secret itself never appears here: see Service.Secret.
type Client struct {
	ID          string
	Realm       iam.Realm
	ClientID    string
	Name        string
	Description string
	Enabled     bool
	// PublicClient clients have no secret and authenticate with client_id
	// (and PKCE) only.
	PublicClient bool
	// BearerOnly clients never obtain tokens; they only verify them.
	BearerOnly bool
	// StandardFlowEnabled allows the authorization-code grant.
	StandardFlowEnabled bool
	// DirectAccessGrantsEnabled allows the password grant.
	DirectAccessGrantsEnabled bool
	// ServiceAccountsEnabled allows the client-credentials grant.
	ServiceAccountsEnabled bool
	// FullScopeDisabled is Keycloak's fullScopeAllowed negated, so that
	// the zero Client has Keycloak's default (full scope allowed): when
	// set, the client's tokens carry only the subject's roles within the
	// client's scope — its own client roles and the roles mapped to its
	// scope (rbac's scope mappings), composites expanded — instead of all
	// the subject's roles. Read it through FullScopeAllowed.
	FullScopeDisabled bool
	RedirectURIs      []string
	WebOrigins        []string
	RootURL           string
	BaseURL           string
	// Attributes holds Keycloak's client attributes, among them
	// "pkce.code.challenge.method", "post.logout.redirect.uris" and
	// "access.token.lifespan" (seconds).
	Attributes           map[string]string
	DefaultClientScopes  []string
	OptionalClientScopes []string
	// Extra holds the fields of Keycloak's ClientRepresentation OpenGate
	// does not implement (consentRequired, frontchannelLogout,
	// protocolMappers, …), as the admin API received them: stored and
	// returned verbatim, never enforced.
	Extra     iam.Extra
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FullScopeAllowed is Keycloak's fullScopeAllowed: whether the client's
// tokens carry every role of their subject (true, the default) or only
// those within the client's scope.
func (c Client) FullScopeAllowed() bool { return !c.FullScopeDisabled }

// Attribute names with a meaning to OpenGate.
const (
	AttrPKCEMethod             = "pkce.code.challenge.method"
	AttrPostLogoutRedirectURIs = "post.logout.redirect.uris"
	AttrAccessTokenLifespan    = "access.token.lifespan"
	AttrAccessTokenJWTType     = "access.token.header.type.rfc9068" // "true": typ at+jwt
)
