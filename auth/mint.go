package auth

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"hash"
	"slices"
	"strconv"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// mintParams says what tokens to issue.
type mintParams struct {
	realm  realms.Realm
	client clients.Client
	user   *users.User // nil: the client's service account
	scope  grantedScope
	// Login session; all zero for service-account tokens.
	sessionID      string
	sessionStarted time.Time
	authTime       time.Time
	nonce          string
	// refresh asks for a refresh token (its value and hash are returned in
	// minted; the grant stores it).
	refresh bool
	jti     string // preset access-token id, or "" for a new one
}

// minted is the outcome of mint beyond the Tokens.
type minted struct {
	refreshHash string
	refreshExp  time.Time
	accessExp   time.Time
	jti         string
}

// mint builds and signs the access token (and the ID token when openid was
// granted) and, when asked, creates a refresh token value.
func (s *Service) mint(ctx context.Context, p mintParams) (*Tokens, error) {
	t, _, err := s.mintWith(ctx, p)
	return t, err
}

func (s *Service) mintWith(ctx context.Context, p mintParams) (*Tokens, minted, error) {
	const op = "auth.mint"
	if p.realm.ID == "" {
		// Every verifier requires realm_id: a token without it would be
		// refused everywhere.
		return nil, minted{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "realm has no id",
			Err: errors.New("realm " + string(p.realm.Name) + " read without its immutable id")}
	}
	key, err := s.keys.active(ctx, p.realm.Name, signingAlg(p.realm))
	if err != nil {
		return nil, minted{}, iam.Wrap(op, err)
	}
	if err := s.ensureEpoch(ctx, p.realm.Name); err != nil {
		return nil, minted{}, iam.Wrap(op, err)
	}
	subject := iam.ServiceAccountSubject(p.client.ID)
	if p.user != nil {
		subject = p.user.ID
	}
	realmRoles, clientRoles, err := s.tokenRoles(ctx, p.realm.Name, p.client, subject)
	if err != nil {
		return nil, minted{}, iam.Wrap(op, err)
	}

	now := s.now()
	lifespan := s.accessLifespan(p.realm, p.client)
	exp := now.Add(lifespan)
	jti := p.jti
	if jti == "" {
		jti = iam.NewID()
	}
	issuer := s.Issuer(p.realm.Name)
	ac := AccessClaims{
		ExpiresAt:       exp.Unix(),
		IssuedAt:        now.Unix(),
		ID:              jti,
		Issuer:          issuer,
		Subject:         subject,
		Type:            TypeBearer,
		AuthorizedParty: p.client.ClientID,
		SessionID:       p.sessionID,
		Scope:           p.scope.claim,
		Realm:           string(p.realm.Name),
		RealmID:         p.realm.ID,
	}
	if len(realmRoles) > 0 {
		ac.RealmAccess = &Roles{Roles: realmRoles}
	}
	if len(clientRoles) > 0 {
		ac.ResourceAccess = make(map[string]Roles, len(clientRoles))
		for cid, roles := range clientRoles {
			if len(roles) == 0 {
				continue
			}
			ac.ResourceAccess[cid] = Roles{Roles: roles}
			if cid != p.client.ClientID { // Keycloak's audience resolution
				ac.Audience = append(ac.Audience, cid)
			}
		}
		slices.Sort(ac.Audience)
	}
	if p.user == nil {
		ac.ClientID = p.client.ClientID
		if p.scope.profile {
			ac.PreferredUsername = serviceAccountUsername(p.client.ClientID)
		}
	} else {
		ac.PreferredUsername, ac.Name, ac.GivenName, ac.FamilyName, ac.Email, ac.EmailVerified = userClaims(*p.user, p.scope)
	}
	mapped, err := s.mapClaims(ctx, p.realm.Name, p.client, subject)
	if err != nil {
		return nil, minted{}, iam.Wrap(op, err)
	}
	payload, err := json.Marshal(&ac)
	if err == nil {
		payload, err = withClaims(payload, mapped.access)
	}
	if err != nil {
		return nil, minted{}, iam.Wrap(op, err)
	}
	header := key.hdrJWT
	if p.client.Attributes[clients.AttrAccessTokenJWTType] == "true" {
		header = key.hdrATJWT
	}
	access, err := signJWS(key.Algorithm, key.Private, header, payload)
	if err != nil {
		return nil, minted{}, iam.Wrap(op, err)
	}
	t := &Tokens{
		AccessToken:  access,
		ExpiresIn:    int64(lifespan / time.Second),
		TokenType:    TypeBearer,
		SessionState: p.sessionID,
		Scope:        p.scope.claim,
	}
	m := minted{accessExp: exp, jti: jti}

	if p.scope.openid {
		idc := IDClaims{
			ExpiresAt:       exp.Unix(),
			IssuedAt:        now.Unix(),
			AuthTime:        p.authTime.Unix(),
			ID:              iam.NewID(),
			Issuer:          issuer,
			Audience:        Audience{p.client.ClientID},
			Subject:         subject,
			Type:            TypeID,
			AuthorizedParty: p.client.ClientID,
			Nonce:           p.nonce,
			SessionID:       p.sessionID,
			AccessTokenHash: tokenHash(key.Algorithm, access),
		}
		if p.authTime.IsZero() {
			idc.AuthTime = now.Unix()
		}
		if p.user != nil {
			idc.PreferredUsername, idc.Name, idc.GivenName, idc.FamilyName, idc.Email, idc.EmailVerified = userClaims(*p.user, p.scope)
		} else if p.scope.profile {
			idc.PreferredUsername = ac.PreferredUsername
		}
		raw, err := json.Marshal(&idc)
		if err == nil {
			raw, err = withClaims(raw, mapped.id)
		}
		if err != nil {
			return nil, minted{}, iam.Wrap(op, err)
		}
		if t.IDToken, err = signJWS(key.Algorithm, key.Private, key.hdrJWT, raw); err != nil {
			return nil, minted{}, iam.Wrap(op, err)
		}
	}

	if p.refresh {
		value, h := newSecret()
		end := p.sessionStarted.Add(sessionMax(p.realm))
		rexp := now.Add(sessionIdle(p.realm))
		if end.Before(rexp) {
			rexp = end
		}
		t.RefreshToken = value
		t.RefreshExpiresIn = int64(rexp.Sub(now) / time.Second)
		m.refreshHash, m.refreshExp = h, rexp
	}
	return t, m, nil
}

// tokenRoles returns the roles a token of client c for subject carries
// (Keycloak's TokenManager.getAccess): every effective role of the subject
// when c allows full scope, else those within c's scope
// (RoleResolver.ScopeRoleNames). Both sides are composite-expanded.
func (s *Service) tokenRoles(ctx context.Context, realm iam.Realm, c clients.Client, subject string) ([]string, map[string][]string, error) {
	realmRoles, clientRoles, err := s.roles.EffectiveRoles(ctx, realm, subject)
	if err != nil || c.FullScopeAllowed() {
		return realmRoles, clientRoles, err
	}
	scopeRealm, scopeClients, err := s.roles.ScopeRoleNames(ctx, realm, c.ID)
	if err != nil {
		return nil, nil, err
	}
	return intersectRoles(realmRoles, scopeRealm), intersectClientRoles(clientRoles, scopeClients), nil
}

// intersectRoles returns the names of held also in scope, in held's order.
func intersectRoles(held, scope []string) []string {
	in := make(map[string]bool, len(scope))
	for _, name := range scope {
		in[name] = true
	}
	kept := make([]string, 0, len(held))
	for _, name := range held {
		if in[name] {
			kept = append(kept, name)
		}
	}
	return kept
}

// intersectClientRoles is intersectRoles per clientId; a client left with
// no role is left out.
func intersectClientRoles(held, scope map[string][]string) map[string][]string {
	kept := make(map[string][]string, len(held))
	for clientID, names := range held {
		if in := intersectRoles(names, scope[clientID]); len(in) > 0 {
			kept[clientID] = in
		}
	}
	return kept
}

// accessLifespan is the client's access.token.lifespan attribute (seconds)
// if set, else the realm's, capped by WithMaxTokenLifespan.
func (s *Service) accessLifespan(r realms.Realm, c clients.Client) time.Duration {
	d := accessLifespan(r)
	if v := c.Attributes[clients.AttrAccessTokenLifespan]; v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			d = time.Duration(n) * time.Second
		}
	}
	return min(d, s.maxToken)
}

// userClaims returns the profile and email claims u has under scope.
func userClaims(u users.User, g grantedScope) (username, name, given, family, email string, verified *bool) {
	if g.profile {
		username, name, given, family = u.Username, u.FullName(), u.FirstName, u.LastName
	}
	if g.email {
		email = u.Email
		v := u.EmailVerified
		verified = &v
	}
	return
}

// tokenHash is OIDC's at_hash: the left half of the hash of the token's
// ASCII, with the hash of the JWS algorithm (SHA-512 for Ed25519).
func tokenHash(alg, token string) string {
	var h hash.Hash
	if alg == realms.AlgEdDSA {
		h = sha512.New()
	} else {
		h = sha256.New()
	}
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return b64(sum[:len(sum)/2])
}
