package authverify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/opengate-iam/opengate/iam"
)

// KeySource returns the public signing keys of a realm. Every key must carry
// "kid" and "alg". Refresh asks for fresh keys after an unknown kid; it may be
// a no-op for sources that are always current.
type KeySource interface {
	KeySet(ctx context.Context, realm iam.Realm) (jwk.Set, error)
	Refresh(ctx context.Context, realm iam.Realm) (jwk.Set, error)
}

// RevocationChecker reports whether an access token was revoked, either by
// its own id (jti) or because its session (sid, "" for tokens without one)
// was ended by logout or by the session service, or whether it was issued
// (issuedAt, the iat claim) before the revocation state it is checked
// against began, so that losing that state revokes every older token
// instead of resurrecting revoked ones (auth.Revocations).
type RevocationChecker interface {
	Revoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error)
}

// Verifier verifies access tokens. It is safe for concurrent use.
type Verifier struct {
	base     string // issuer base without trailing slash
	keys     KeySource
	revoked  RevocationChecker
	audience string
	skew     time.Duration
	clock    func() time.Time

	mu          sync.Mutex
	lastRefresh map[iam.Realm]time.Time
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithKeySource replaces the default HTTP JWKS source, e.g. with the auth
// service's keys in the same process.
func WithKeySource(ks KeySource) Option { return func(v *Verifier) { v.keys = ks } }

// WithRevocationChecker rejects tokens whose jti the checker reports revoked.
// A checker error rejects the token (fail closed).
func WithRevocationChecker(rc RevocationChecker) Option { return func(v *Verifier) { v.revoked = rc } }

// WithAudience requires aud to contain audience.
func WithAudience(audience string) Option { return func(v *Verifier) { v.audience = audience } }

// WithSkew sets the accepted clock skew for exp, nbf and iat (default 30s,
// at most 5 minutes).
func WithSkew(d time.Duration) Option {
	return func(v *Verifier) {
		if d >= 0 && d <= 5*time.Minute {
			v.skew = d
		}
	}
}

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.clock = now } }

// WithHTTPClient sets the client of the default HTTP JWKS source.
func WithHTTPClient(c *http.Client) Option {
	return func(v *Verifier) {
		if hs, ok := v.keys.(*HTTPKeySource); ok {
			hs.client = c
		}
	}
}

// New returns a Verifier for tokens issued under issuerBase (for example
// "https://id.example.com"; the issuer of realm r is issuerBase/realms/r).
// ctx bounds the background JWKS refresh of the default key source.
func New(ctx context.Context, issuerBase string, opts ...Option) (*Verifier, error) {
	base := strings.TrimRight(issuerBase, "/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		return nil, iam.Invalidf("issuerBase", "issuer base must be an http(s) URL")
	}
	v := &Verifier{
		base:        base,
		skew:        30 * time.Second,
		clock:       time.Now,
		lastRefresh: map[iam.Realm]time.Time{},
	}
	v.keys = NewHTTPKeySource(ctx, base, http.DefaultClient)
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Issuer returns the issuer of realm under this verifier's base.
func (v *Verifier) Issuer(realm iam.Realm) string { return v.base + "/realms/" + string(realm) }

// Verify checks raw and returns its principal. Every failure is a
// CodeUnauthenticated *iam.Error whose message says only "invalid token" or
// "token expired"; the reason is in the log-only cause.
func (v *Verifier) Verify(ctx context.Context, raw string) (*iam.Principal, error) {
	p, err := v.verify(ctx, raw)
	if err != nil {
		var e *iam.Error
		if errors.As(err, &e) {
			return nil, err
		}
		msg := "invalid token"
		if errors.Is(err, jwt.ErrTokenExpired()) {
			msg = "token expired"
		}
		return nil, &iam.Error{Code: iam.CodeUnauthenticated, Op: "authverify.Verify", Message: msg, Err: err}
	}
	return p, nil
}

// VerifyForRealm is Verify that also requires the token to be issued by
// realm's issuer.
func (v *Verifier) VerifyForRealm(ctx context.Context, raw string, realm iam.Realm) (*iam.Principal, error) {
	p, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if p.Realm != realm {
		return nil, &iam.Error{Code: iam.CodeUnauthenticated, Op: "authverify.VerifyForRealm",
			Message: "invalid token", Err: errors.New("token of another realm")}
	}
	return p, nil
}

func (v *Verifier) verify(ctx context.Context, raw string) (*iam.Principal, error) {
	if raw == "" || len(raw) > 16<<10 {
		return nil, errors.New("empty or oversized token")
	}
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return nil, err
	}
	prefix := v.base + "/realms/"
	if !strings.HasPrefix(iss, prefix) {
		return nil, errors.New("issuer not under the configured base")
	}
	realm, err := iam.ParseRealm(strings.TrimPrefix(iss, prefix))
	if err != nil {
		return nil, errors.New("issuer names a malformed realm")
	}
	set, err := v.keys.KeySet(ctx, realm)
	if iam.ErrorCode(err) == iam.CodeNotFound {
		return nil, errors.New("no keys for the realm: " + err.Error())
	}
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeUnavailable, Op: "authverify.Verify", Message: "signing keys unavailable", Err: err}
	}
	tok, err := v.parse(raw, set, iss)
	if err != nil && v.mayRefresh(realm) {
		if fresh, rerr := v.keys.Refresh(ctx, realm); rerr == nil {
			tok, err = v.parse(raw, fresh, iss)
		}
	}
	if err != nil {
		return nil, err
	}
	return v.principal(ctx, realm, tok)
}

// unverifiedIssuer reads the iss claim of a compact JWS without verifying
// it: only to pick the realm whose keys then verify the whole token.
func unverifiedIssuer(raw string) (string, error) {
	first := strings.IndexByte(raw, '.')
	if first < 0 {
		return "", errors.New("not a compact JWS")
	}
	rest := raw[first+1:]
	second := strings.IndexByte(rest, '.')
	if second < 0 {
		return "", errors.New("not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(rest[:second])
	if err != nil {
		return "", errors.New("payload is not base64url")
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", errors.New("payload is not a JSON object")
	}
	return claims.Issuer, nil
}

func (v *Verifier) parse(raw string, set jwk.Set, iss string) (jwt.Token, error) {
	opts := []jwt.ParseOption{
		jwt.WithKeySet(set), // requires kid; the token's alg must equal the key's alg
		jwt.WithValidate(true),
		jwt.WithIssuer(iss),
		jwt.WithAcceptableSkew(v.skew),
		jwt.WithClock(jwt.ClockFunc(v.clock)),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("sub"),
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	return jwt.Parse([]byte(raw), opts...)
}

// mayRefresh allows one forced key refresh per realm every ten seconds.
func (v *Verifier) mayRefresh(realm iam.Realm) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.clock()
	if last, ok := v.lastRefresh[realm]; ok && now.Sub(last) < 10*time.Second {
		return false
	}
	if len(v.lastRefresh) > 10000 {
		clear(v.lastRefresh)
	}
	v.lastRefresh[realm] = now
	return true
}

type roles struct {
	Roles []string `json:"roles"`
}

func (v *Verifier) principal(ctx context.Context, realm iam.Realm, tok jwt.Token) (*iam.Principal, error) {
	str := func(name string) string {
		val, _ := tok.Get(name)
		s, _ := val.(string)
		return s
	}
	if typ := str("typ"); typ != "" && typ != "Bearer" {
		return nil, errors.New("not an access token: typ " + typ)
	}
	if claimed := str("realm"); claimed != "" && claimed != string(realm) {
		return nil, errors.New("realm claim differs from issuer")
	}
	if v.revoked != nil {
		jti := tok.JwtID()
		if jti == "" {
			return nil, errors.New("token has no jti")
		}
		revoked, err := v.revoked.Revoked(ctx, realm, jti, str("sid"), tok.IssuedAt())
		if err != nil {
			return nil, &iam.Error{Code: iam.CodeUnavailable, Op: "authverify.Verify", Message: "revocation list unavailable", Err: err}
		}
		if revoked {
			return nil, errors.New("token revoked")
		}
	}
	p := &iam.Principal{
		Subject:   tok.Subject(),
		Realm:     realm,
		ClientID:  str("azp"),
		SessionID: str("sid"),
		Username:  str("preferred_username"),
	}
	if p.ClientID == "" {
		p.ClientID = str("client_id")
	}
	if s := str("scope"); s != "" {
		p.Scopes = strings.Fields(s)
	}
	if ra, ok := tok.Get("realm_access"); ok {
		var r roles
		if remarshal(ra, &r) == nil {
			p.Roles = r.Roles
		}
	}
	if rs, ok := tok.Get("resource_access"); ok {
		var m map[string]roles
		if remarshal(rs, &m) == nil && len(m) > 0 {
			p.ClientRoles = make(map[string][]string, len(m))
			for c, r := range m {
				p.ClientRoles[c] = r.Roles
			}
		}
	}
	return p, nil
}

// remarshal converts a decoded private claim (a map) into dst.
func remarshal(src, dst any) error {
	b, err := json.Marshal(src)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}
