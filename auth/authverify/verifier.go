package authverify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

// KeySource returns the verification keys and current immutable id of a
// realm. Refresh asks for fresh ones after an unknown kid; it may be a no-op
// for sources that are always current. A source that caches may also
// implement Invalidate(iam.Realm), which the Verifier calls on realm events.
type KeySource interface {
	KeySet(ctx context.Context, realm iam.Realm) (*KeySet, error)
	Refresh(ctx context.Context, realm iam.Realm) (*KeySet, error)
}

// invalidator is a KeySource that can drop a realm's cached keys.
type invalidator interface {
	Invalidate(realm iam.Realm)
}

// RevocationChecker reports whether an access token was revoked, either by
// its own id (jti) or because its session (sid, "" for tokens without one)
// was ended by logout or by the session service, or because it was issued
// (issuedAt, the iat claim) before the revocation state it is checked
// against began (auth.Revocations: the realm's revocation epoch).
type RevocationChecker interface {
	Revoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error)
}

// RealmIDs returns the current immutable id of a realm, CodeNotFound for a
// realm that does not exist. (*auth.Service).RealmID is one, for a verifier
// in the issuer's process.
type RealmIDs interface {
	RealmID(ctx context.Context, realm iam.Realm) (string, error)
}

// Verifier verifies access tokens under authjwt's policy, the one the
// issuer's introspection applies. It is safe for concurrent use.
type Verifier struct {
	base     string // issuer base without trailing slash
	keys     KeySource
	revoked  RevocationChecker
	realmIDs RealmIDs
	audience string
	clock    func() time.Time

	tokens      *authjwt.Cache // nil without WithTokenCache
	mu          sync.Mutex
	lastRefresh map[iam.Realm]time.Time
	deleted     map[string]time.Time // realm id → when its realm.deleted was seen
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithKeySource replaces the default HTTP JWKS source, e.g. with the auth
// service's keys in the same process (NewLocalKeys).
func WithKeySource(ks KeySource) Option { return func(v *Verifier) { v.keys = ks } }

// WithRevocationChecker rejects tokens whose jti or session the checker
// reports revoked. A checker error rejects the token (fail closed) with
// CodeUnavailable.
func WithRevocationChecker(rc RevocationChecker) Option { return func(v *Verifier) { v.revoked = rc } }

// WithRealmIDs takes each realm's current id from ids on every token instead
// of from the key set, so a deleted or re-created realm's tokens are refused
// at once, without waiting for the key cache. For verifiers in the issuer's
// process.
func WithRealmIDs(ids RealmIDs) Option { return func(v *Verifier) { v.realmIDs = ids } }

// WithAudience requires aud to contain audience.
func WithAudience(audience string) Option { return func(v *Verifier) { v.audience = audience } }

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
		clock:       time.Now,
		lastRefresh: map[iam.Realm]time.Time{},
		deleted:     map[string]time.Time{},
	}
	v.keys = NewHTTPKeySource(ctx, base, http.DefaultClient)
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Issuer returns the issuer of realm under this verifier's base.
func (v *Verifier) Issuer(realm iam.Realm) string { return v.base + "/realms/" + string(realm) }

// Verify checks raw and returns its principal. Every refusal is a
// CodeUnauthenticated *iam.Error whose message says only "invalid token" or
// "token expired"; the reason (an *authjwt.Error) is its log-only cause.
// Failing dependencies (keys, realm ids, revocation list) are
// CodeUnavailable.
func (v *Verifier) Verify(ctx context.Context, raw string) (*iam.Principal, error) {
	p, err := v.verify(ctx, raw)
	if err != nil {
		var e *iam.Error
		if errors.As(err, &e) {
			return nil, err
		}
		msg := "invalid token"
		var re *authjwt.Error
		if errors.As(err, &re) && re.Reason == authjwt.ReasonExpired {
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

// errUnknownRealm refuses a token whose issuer names a realm without keys
// (or, with RealmIDs, a realm that does not exist).
var errUnknownRealm = &authjwt.Error{Reason: authjwt.ReasonIssuer}

func (v *Verifier) verify(ctx context.Context, raw string) (*iam.Principal, error) {
	if v.tokens == nil {
		tok, err := authjwt.Parse(raw)
		if err != nil {
			return nil, err
		}
		keys, want, err := v.resolve(ctx, tok.Header.Kid, &tok.Claims)
		if err != nil {
			return nil, err
		}
		c, err := tok.Verify(ctx, keys, want)
		if err != nil {
			return nil, err
		}
		return c.Principal(), nil
	}
	c, err := v.tokens.Verify(ctx, raw, v.resolve)
	if err != nil {
		return nil, err
	}
	return c.Principal(), nil
}

// resolve returns the keys and expectations of a token whose header names
// kid and whose (unverified) claims are claims: the realm comes from the
// issuer, which the expectations then require to be exactly that realm's,
// under this verifier's base.
func (v *Verifier) resolve(ctx context.Context, kid string, claims *authjwt.AccessClaims) (authjwt.Keys, authjwt.Expect, error) {
	name, ok := strings.CutPrefix(claims.Issuer, v.base+"/realms/")
	if !ok {
		return nil, authjwt.Expect{}, &authjwt.Error{Reason: authjwt.ReasonIssuer}
	}
	realm, err := iam.ParseRealm(name)
	if err != nil {
		return nil, authjwt.Expect{}, &authjwt.Error{Reason: authjwt.ReasonIssuer}
	}
	set, err := v.keySet(ctx, realm, kid)
	if err != nil {
		return nil, authjwt.Expect{}, err
	}
	realmID, err := v.realmID(ctx, realm, set)
	if err != nil {
		return nil, authjwt.Expect{}, err
	}
	want := authjwt.Expect{Issuer: v.Issuer(realm), Realm: realm, RealmID: realmID,
		Audience: v.audience, Now: v.clock()}
	if v.revoked != nil {
		want.Revoked = v.checkRevoked
	}
	keys := authjwt.KeyFunc(func(_ context.Context, kid string) (authjwt.Key, bool, error) {
		k, ok := set.Key(kid)
		return k, ok, nil
	})
	return keys, want, nil
}

// checkRevoked asks the revocation checker; its failure is CodeUnavailable
// (the token is refused: fail closed).
func (v *Verifier) checkRevoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error) {
	revoked, err := v.revoked.Revoked(ctx, realm, jti, sid, issuedAt)
	if err != nil {
		return false, &iam.Error{Code: iam.CodeUnavailable, Op: "authverify.Verify", Message: "revocation list unavailable", Err: err}
	}
	return revoked, nil
}

// keySet returns realm's keys, refreshed first (at most once per realm
// every ten seconds) when they lack kid.
func (v *Verifier) keySet(ctx context.Context, realm iam.Realm, kid string) (*KeySet, error) {
	set, err := v.keys.KeySet(ctx, realm)
	if iam.ErrorCode(err) == iam.CodeNotFound {
		return nil, errUnknownRealm
	}
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeUnavailable, Op: "authverify.Verify", Message: "signing keys unavailable", Err: err}
	}
	if _, ok := set.Key(kid); !ok && kid != "" && v.mayRefresh(realm) {
		if fresh, err := v.keys.Refresh(ctx, realm); err == nil {
			set = fresh
		}
	}
	return set, nil
}

// realmID returns realm's current id: from RealmIDs when configured, else
// from its key set; "" (every token refused) when that id belongs to a realm
// this verifier saw deleted.
func (v *Verifier) realmID(ctx context.Context, realm iam.Realm, set *KeySet) (string, error) {
	id := set.RealmID
	if v.realmIDs != nil {
		var err error
		id, err = v.realmIDs.RealmID(ctx, realm)
		if iam.ErrorCode(err) == iam.CodeNotFound {
			return "", errUnknownRealm
		}
		if err != nil {
			return "", &iam.Error{Code: iam.CodeUnavailable, Op: "authverify.Verify", Message: "realm unavailable", Err: err}
		}
	}
	if v.wasDeleted(id) {
		return "", nil
	}
	return id, nil
}

// mayRefresh allows one forced key refresh per realm every ten seconds.
func (v *Verifier) mayRefresh(realm iam.Realm) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.clock()
	if last, ok := v.lastRefresh[realm]; ok && now.Sub(last) < 10*time.Second {
		return false
	}
	if len(v.lastRefresh) > maxRealms {
		clear(v.lastRefresh)
	}
	v.lastRefresh[realm] = now
	return true
}
