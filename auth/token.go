package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Grant types of the token endpoint.
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantRefreshToken      = "refresh_token"
	GrantAuthorizationCode = "authorization_code"
)

// ClientCredentials is how a client authenticated: its public clientId and,
// for confidential clients, its secret (from client_secret_basic or
// client_secret_post). Public clients send only ClientID.
type ClientCredentials struct {
	ClientID string
	Secret   string
}

// TokenRequest is a request to the token endpoint, transport-neutral.
type TokenRequest struct {
	Realm     iam.Realm
	GrantType string
	Client    ClientCredentials
	Scope     string // space-separated
	Username  string // password grant
	Password  string // password grant
	// TOTP is the password grant's second factor: a one-time code (an
	// authenticator's, an emailed one or a recovery code), Keycloak's otp
	// (or, older, totp) form parameter.
	TOTP         string
	RefreshToken string // refresh_token grant
	Code         string // authorization_code grant
	RedirectURI  string // authorization_code grant
	CodeVerifier string // authorization_code grant (PKCE)
	IP           string // caller's address, for brute-force counters and events
	UserAgent    string // for events
}

// Tokens is a successful token response (Keycloak's fields).
type Tokens struct {
	AccessToken      string
	ExpiresIn        int64 // seconds
	RefreshToken     string
	RefreshExpiresIn int64 // seconds; 0 without a refresh token
	IDToken          string
	TokenType        string // "Bearer"
	SessionState     string // the session id; "" for service accounts
	Scope            string
}

// Token runs the token endpoint: it authenticates the client and performs
// the grant. Failures carry an *OAuthError (see OAuthCode): invalid_client
// for failed client authentication, unsupported_grant_type,
// unauthorized_client when the client may not use the grant, invalid_grant,
// invalid_scope and invalid_request; a realm that does not exist is
// CodeNotFound; failing dependencies are CodeUnavailable/CodeInternal.
// Every request is counted by grant and result (WithMetrics).
func (s *Service) Token(ctx context.Context, req TokenRequest) (*Tokens, error) {
	t, err := s.token(ctx, req)
	s.metrics.TokenRequest(grantLabel(req.GrantType), tokenResult(err))
	return t, err
}

func (s *Service) token(ctx context.Context, req TokenRequest) (*Tokens, error) {
	switch req.GrantType {
	case GrantClientCredentials, GrantPassword, GrantRefreshToken, GrantAuthorizationCode:
	case "":
		return nil, oauthErr(ErrorInvalidRequest, "Missing form parameter: grant_type")
	default:
		return nil, oauthErr(ErrorUnsupportedGrantType, "Unsupported grant_type")
	}
	realm, err := s.enabledRealm(ctx, req.Realm)
	if err != nil {
		return nil, err
	}
	client, err := s.authenticateClient(ctx, realm.Name, req.Client)
	if err != nil {
		return nil, err
	}
	switch req.GrantType {
	case GrantClientCredentials:
		return s.clientCredentials(ctx, realm, client, req)
	case GrantPassword:
		return s.password(ctx, realm, client, req)
	case GrantRefreshToken:
		return s.refresh(ctx, realm, client, req)
	default:
		return s.redeemCode(ctx, realm, client, req)
	}
}

// authenticateClient authenticates a confidential client by secret or
// identifies a public client by id. Every rejection is invalid_client with
// one message; dependency failures pass through.
func (s *Service) authenticateClient(ctx context.Context, realm iam.Realm, cc ClientCredentials) (clients.Client, error) {
	const op = "auth.authenticateClient"
	if cc.ClientID == "" {
		return clients.Client{}, oauthErr(ErrorInvalidClient, "Missing parameter: client_id")
	}
	var (
		c   clients.Client
		err error
	)
	if cc.Secret == "" {
		c, err = s.clients.GetByClientID(ctx, realm, cc.ClientID)
		if err == nil && !c.PublicClient {
			return clients.Client{}, oauthErr(ErrorInvalidClient, msgInvalidClient)
		}
	} else {
		c, err = s.clients.Authenticate(ctx, realm, cc.ClientID, cc.Secret)
		if err == nil && c.PublicClient {
			// A public client has no secret to check: refuse rather than
			// accept a secret that proves nothing.
			return clients.Client{}, oauthErr(ErrorInvalidClient, msgInvalidClient)
		}
	}
	if err != nil {
		if perr := passDependencyError(op, err); perr != nil {
			return clients.Client{}, perr
		}
		return clients.Client{}, oauthErr(ErrorInvalidClient, msgInvalidClient)
	}
	if !c.Enabled || c.Realm != realm || c.ClientID != cc.ClientID {
		return clients.Client{}, oauthErr(ErrorInvalidClient, msgInvalidClient)
	}
	if c.BearerOnly {
		return clients.Client{}, oauthErr(ErrorUnauthorizedClient, "Bearer-only client not allowed to retrieve tokens")
	}
	return c, nil
}

// clientCredentials issues a service-account access token (no refresh token,
// no session, as Keycloak does by default).
func (s *Service) clientCredentials(ctx context.Context, realm realms.Realm, c clients.Client, req TokenRequest) (*Tokens, error) {
	if c.PublicClient {
		return nil, oauthErr(ErrorUnauthorizedClient, "Public client not allowed to retrieve service account")
	}
	if !c.ServiceAccountsEnabled {
		return nil, oauthErr(ErrorUnauthorizedClient, "Client not enabled to retrieve service account")
	}
	scope, err := negotiateScope(c, req.Scope)
	if err != nil {
		return nil, err
	}
	return s.mint(ctx, mintParams{realm: realm, client: c, scope: scope})
}

// newSecret returns 32 random bytes base64url-encoded (a refresh token or
// code) and the hash it is stored under.
func newSecret() (value, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	value = b64(b[:])
	return value, hashSecret(value)
}

// hashSecret is the storage key of a code or refresh token.
func hashSecret(value string) string {
	sum := sha256.Sum256([]byte(value))
	return b64(sum[:])
}
