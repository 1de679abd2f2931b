package auth

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// errNoLoginFlow is the answer for a flow that does not exist, expired, was
// completed, or belongs to another browser: all look alike.
var errNoLoginFlow = iam.NotFoundf("this sign-in has expired or was completed")

// StartLoginFlow starts a browser sign-in of realm answering req (a checked
// Authorization; zero, with ret set, for the account pages' own sign-in,
// which returns to ret), bound to the browser whose login cookie is
// browser (its hash is stored, never the value). The flow lives
// LoginFlowLifespan. CodeInvalid for an empty browser cookie.
func (s *Service) StartLoginFlow(ctx context.Context, realm iam.Realm, browser string, req Authorization, ret string) (LoginFlow, error) {
	if browser == "" {
		return LoginFlow{}, iam.Invalidf("browser", "a browser cookie is required")
	}
	if err := realm.Validate(); err != nil {
		return LoginFlow{}, err
	}
	now := s.now()
	f := LoginFlow{ID: newID(), Realm: realm, Browser: hashSecret(browser), Request: req, Return: ret,
		Created: now, ExpiresAt: now.Add(LoginFlowLifespan)}
	f.CSRF, _ = newSecret()
	if err := s.tokens.SaveLoginFlow(ctx, f, LoginFlowLifespan); err != nil {
		return LoginFlow{}, iam.Wrap("auth.StartLoginFlow", err)
	}
	return f, nil
}

// LoginFlow returns flow id of realm if it belongs to the browser whose
// login cookie is browser; CodeNotFound otherwise (missing, expired,
// completed, or another browser's: they look alike).
func (s *Service) LoginFlow(ctx context.Context, realm iam.Realm, id, browser string) (LoginFlow, error) {
	if id == "" || browser == "" {
		return LoginFlow{}, errNoLoginFlow
	}
	if err := realm.Validate(); err != nil {
		return LoginFlow{}, err
	}
	f, err := s.tokens.GetLoginFlow(ctx, realm, id)
	if errors.Is(err, iam.ErrNotFound) {
		return LoginFlow{}, errNoLoginFlow
	}
	if err != nil {
		return LoginFlow{}, iam.Wrap("auth.LoginFlow", err)
	}
	if !sameSecret(f.Browser, hashSecret(browser)) || !s.now().Before(f.ExpiresAt) {
		return LoginFlow{}, errNoLoginFlow
	}
	return f, nil
}

// SaveLoginFlow stores the progress of flow f (found with LoginFlow) until
// its expiry. CodeNotFound when it has expired or was finished meanwhile
// (a finished flow never comes back).
func (s *Service) SaveLoginFlow(ctx context.Context, f LoginFlow) error {
	ttl := f.ExpiresAt.Sub(s.now())
	if ttl <= 0 {
		return errNoLoginFlow
	}
	err := s.tokens.UpdateLoginFlow(ctx, f, ttl)
	if errors.Is(err, iam.ErrNotFound) {
		return errNoLoginFlow
	}
	return iam.Wrap("auth.SaveLoginFlow", err)
}

// FinishLoginFlow takes flow id of realm out of the store, so that of
// concurrent completions of one flow (a form sent twice) exactly one
// proceeds; the others get CodeNotFound, as for any flow LoginFlow would
// not find.
func (s *Service) FinishLoginFlow(ctx context.Context, realm iam.Realm, id, browser string) (LoginFlow, error) {
	f, err := s.tokens.TakeLoginFlow(ctx, realm, id)
	if errors.Is(err, iam.ErrNotFound) {
		return LoginFlow{}, errNoLoginFlow
	}
	if err != nil {
		return LoginFlow{}, iam.Wrap("auth.FinishLoginFlow", err)
	}
	if !sameSecret(f.Browser, hashSecret(browser)) || !s.now().Before(f.ExpiresAt) {
		return LoginFlow{}, errNoLoginFlow
	}
	return f, nil
}

// CheckPostLogoutRedirect reports whether uri may receive the browser after
// a logout requested by client clientID of realm: the client exists, is
// enabled, and lists uri among its post-logout redirect URIs
// (clients.MatchPostLogoutRedirectURI). Every refusal is invalid_request
// (the caller shows it, never redirects); dependency failures pass
// through.
func (s *Service) CheckPostLogoutRedirect(ctx context.Context, realm iam.Realm, clientID, uri string) error {
	const op = "auth.CheckPostLogoutRedirect"
	if clientID == "" {
		return oauthErr(ErrorInvalidRequest, "post_logout_redirect_uri needs client_id or id_token_hint")
	}
	c, err := s.clients.GetByClientID(ctx, realm, clientID)
	if err != nil {
		if perr := passDependencyError(op, err); perr != nil {
			return perr
		}
		return oauthErr(ErrorInvalidRequest, "Client not found")
	}
	if !c.Enabled || !clients.MatchPostLogoutRedirectURI(c, uri) {
		return oauthErr(ErrorInvalidRequest, "Invalid parameter: post_logout_redirect_uri")
	}
	return nil
}

// sameSecret compares two hashes in constant time.
func sameSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// newID returns a random identifier of 132 bits (22 base64url characters).
func newID() string {
	v, _ := newSecret()
	return v[:22]
}
