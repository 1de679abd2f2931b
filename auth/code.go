package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// PKCE code challenge methods (RFC 7636).
const (
	PKCES256  = "S256"
	PKCEPlain = "plain"
)

// CodeRequest describes an authorization code to issue after the user has
// authenticated in the browser flow.
type CodeRequest struct {
	Realm               iam.Realm
	ClientID            string // public clientId
	RedirectURI         string // already checked against the client's redirect URIs
	Scope               string // requested scope, space-separated
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string // "S256", "plain", or "" (= plain when a challenge is sent)
	UserID              string
	SessionID           string    // the browser session; "" starts a new one
	SessionStarted      time.Time // zero: now
	AuthTime            time.Time // when the user authenticated; zero: now
}

// IssueCode returns a new single-use authorization code for req, valid for
// the realm's access-code lifespan. The client must exist, be enabled and
// have the standard flow; public clients must use PKCE with S256, and plain
// PKCE is refused unless the client's pkce.code.challenge.method attribute
// is "plain". Errors: CodeNotFound for an unknown realm, OAuth errors
// (unauthorized_client, invalid_request, invalid_scope) otherwise.
func (s *Service) IssueCode(ctx context.Context, req CodeRequest) (string, error) {
	const op = "auth.IssueCode"
	realm, err := s.enabledRealm(ctx, req.Realm)
	if err != nil {
		return "", err
	}
	c, err := s.clients.GetByClientID(ctx, realm.Name, req.ClientID)
	if err != nil {
		if perr := passDependencyError(op, err); perr != nil {
			return "", perr
		}
		return "", oauthErr(ErrorUnauthorizedClient, "Client not found")
	}
	if !c.Enabled || c.BearerOnly || !c.StandardFlowEnabled {
		return "", oauthErr(ErrorUnauthorizedClient, "Client is not allowed to initiate browser login")
	}
	if req.UserID == "" {
		return "", iam.Invalidf("userId", "user id is required")
	}
	method, err := pkceMethod(c, req.CodeChallenge, req.CodeChallengeMethod)
	if err != nil {
		return "", err
	}
	scope, err := negotiateScope(c, req.Scope)
	if err != nil {
		return "", err
	}
	now := s.now()
	value, hash := newSecret()
	code := AuthCode{
		Hash: hash, Realm: realm.Name, ClientID: c.ClientID, RedirectURI: req.RedirectURI,
		Scope: scope.claim, Nonce: req.Nonce, CodeChallenge: req.CodeChallenge,
		CodeChallengeMethod: method, UserID: req.UserID, SessionID: req.SessionID,
		AuthTime: req.AuthTime, SessionStarted: req.SessionStarted, ExpiresAt: now.Add(codeLifespan(realm)),
	}
	if code.SessionID == "" {
		code.SessionID = iam.NewID()
	}
	if code.AuthTime.IsZero() {
		code.AuthTime = now
	}
	if code.SessionStarted.IsZero() {
		code.SessionStarted = now
	}
	if err := s.tokens.SaveCode(ctx, code, codeLifespan(realm)); err != nil {
		return "", iam.Wrap(op, err)
	}
	return value, nil
}

// pkceMethod validates a code challenge against the client's PKCE policy and
// returns the method to store ("" without PKCE).
func pkceMethod(c clients.Client, challenge, method string) (string, error) {
	required := c.PublicClient || c.Attributes[clients.AttrPKCEMethod] != ""
	if challenge == "" {
		if method != "" {
			return "", oauthErr(ErrorInvalidRequest, "code_challenge_method without code_challenge")
		}
		if required {
			return "", oauthErr(ErrorInvalidRequest, "Missing parameter: code_challenge")
		}
		return "", nil
	}
	if !validVerifier(challenge) {
		return "", oauthErr(ErrorInvalidRequest, "Invalid parameter: code_challenge")
	}
	if method == "" {
		method = PKCEPlain
	}
	switch method {
	case PKCES256:
		return method, nil
	case PKCEPlain:
		if !c.PublicClient && c.Attributes[clients.AttrPKCEMethod] == PKCEPlain {
			return method, nil
		}
		return "", oauthErr(ErrorInvalidRequest, "PKCE method plain is not allowed; use S256")
	}
	return "", oauthErr(ErrorInvalidRequest, "Invalid parameter: code_challenge_method")
}

// validVerifier reports whether v has RFC 7636's form: 43 to 128 characters
// of [A-Za-z0-9-._~].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// verifyPKCE reports whether verifier answers the challenge.
func verifyPKCE(method, challenge, verifier string) bool {
	expected := verifier
	if method == PKCES256 {
		sum := sha256.Sum256([]byte(verifier))
		expected = b64(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(expected), []byte(challenge)) == 1
}

// redeemCode runs the authorization_code grant. A code is single use: it is
// consumed atomically before anything is checked, and a code presented a
// second time revokes everything issued from its first redemption (its
// refresh-token family and access token).
func (s *Service) redeemCode(ctx context.Context, realm realms.Realm, c clients.Client, req TokenRequest) (*Tokens, error) {
	const op = "auth.redeemCode"
	if req.Code == "" {
		return nil, oauthErr(ErrorInvalidRequest, "Missing parameter: code")
	}
	if !c.StandardFlowEnabled {
		return nil, oauthErr(ErrorUnauthorizedClient, "Client not allowed to exchange code")
	}
	now := s.now()
	use := CodeRedemption{AccessTokenID: iam.NewID(), Family: iam.NewID(),
		AccessTokenExp: now.Add(s.accessLifespan(realm, c))}
	code, err := s.tokens.ConsumeCode(ctx, realm.Name, hashSecret(req.Code), use, sessionIdle(realm))
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			return nil, oauthErr(ErrorInvalidGrant, msgInvalidCode)
		}
		return nil, iam.Wrap(op, err)
	}
	if code.Redemption != nil {
		return nil, s.codeReused(ctx, realm, *code.Redemption)
	}
	if code.ClientID != c.ClientID {
		return nil, oauthErr(ErrorInvalidGrant, msgInvalidCode)
	}
	if !now.Before(code.ExpiresAt) {
		return nil, oauthErr(ErrorInvalidGrant, "Code is expired")
	}
	if !now.Before(code.SessionStarted.Add(sessionMax(realm))) {
		return nil, oauthErr(ErrorInvalidGrant, "Session not active")
	}
	if code.RedirectURI != req.RedirectURI {
		return nil, oauthErr(ErrorInvalidGrant, "Incorrect redirect_uri")
	}
	switch {
	case code.CodeChallenge == "" && req.CodeVerifier != "":
		return nil, oauthErr(ErrorInvalidGrant, "PKCE code verifier sent but no code challenge was")
	case code.CodeChallenge != "" && req.CodeVerifier == "":
		return nil, oauthErr(ErrorInvalidGrant, "PKCE code verifier not specified")
	case code.CodeChallenge != "" && (!validVerifier(req.CodeVerifier) ||
		!verifyPKCE(code.CodeChallengeMethod, code.CodeChallenge, req.CodeVerifier)):
		return nil, oauthErr(ErrorInvalidGrant, "PKCE verification failed")
	}
	if s.sessions != nil {
		alive, err := s.sessions.Alive(ctx, realm.Name, code.SessionID)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		if !alive {
			return nil, oauthErr(ErrorInvalidGrant, "Session not active")
		}
	}
	u, err := s.activeUser(ctx, realm.Name, code.UserID)
	if err != nil {
		return nil, err
	}
	t, m, err := s.mintWith(ctx, mintParams{realm: realm, client: c, user: &u, scope: scopeOf(parseScope(code.Scope)),
		sessionID: code.SessionID, sessionStarted: code.SessionStarted, authTime: code.AuthTime,
		nonce: code.Nonce, refresh: true, jti: use.AccessTokenID})
	if err != nil {
		return nil, err
	}
	rt := RefreshToken{Hash: m.refreshHash, Realm: realm.Name, Family: use.Family, ClientID: c.ID,
		UserID: u.ID, SessionID: code.SessionID, Scope: code.Scope, Nonce: code.Nonce,
		AuthTime: code.AuthTime, SessionStarted: code.SessionStarted, IssuedAt: now, ExpiresAt: m.refreshExp}
	if err := s.tokens.SaveRefresh(ctx, rt, m.refreshExp.Sub(s.now())); err != nil {
		return nil, iam.Wrap(op, err)
	}
	return t, nil
}

// codeReused revokes what the first redemption of a code issued and returns
// invalid_grant.
func (s *Service) codeReused(ctx context.Context, realm realms.Realm, r CodeRedemption) error {
	const op = "auth.codeReused"
	if err := s.tokens.RevokeFamily(ctx, realm.Name, r.Family, s.revocationTTL(realm)); err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.tokens.RevokeAccessToken(ctx, realm.Name, r.AccessTokenID, s.maxToken); err != nil {
		return iam.Wrap(op, err)
	}
	return oauthErr(ErrorInvalidGrant, "Code already used; the tokens issued for it have been revoked")
}
