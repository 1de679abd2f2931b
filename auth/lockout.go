package auth

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Lockout is the brute-force protection of password checks made outside
// the token endpoint — the account API's current password
// (users.WithPasswordGuard) — with the rules (Keycloak's temporary lockout,
// see bruteForce), the realm settings and the counters of the password
// grant: wrong current passwords count as failed logins of the user and
// of the caller's address, and a user locked out by either is locked out
// of both. A realm without brute-force protection (BruteForce.Enabled
// false) counts nothing. In another process than auth (user-service), give
// it auth's Redis (authredis.New with the same prefix). Safe for
// concurrent use.
type Lockout struct {
	realms   RealmGetter
	failures FailureStore
	now      func() time.Time
	ipFactor int
}

// NewLockout returns the Lockout of realms' settings over failures, with
// an address's failure factor ipFactor times the realm's (<= 0: 5, as
// auth.Service's default WithIPFailureFactor) and clock now (nil:
// time.Now).
func NewLockout(realms RealmGetter, failures FailureStore, ipFactor int, now func() time.Time) *Lockout {
	if ipFactor <= 0 {
		ipFactor = 5
	}
	if now == nil {
		now = time.Now
	}
	return &Lockout{realms: realms, failures: failures, now: now, ipFactor: ipFactor}
}

// protection returns realm's settings if its brute-force protection is on.
func (l *Lockout) protection(ctx context.Context, realm iam.Realm) (realms.Realm, bool, error) {
	r, err := l.realms.Get(ctx, realm)
	if err != nil {
		return realms.Realm{}, false, iam.Wrap("auth.Lockout", err)
	}
	return r, r.BruteForce.Enabled, nil
}

// Locked reports whether password checks for userID, or from ip ("" for
// none), are locked out now in realm.
func (l *Lockout) Locked(ctx context.Context, realm iam.Realm, userID, ip string) (bool, error) {
	r, on, err := l.protection(ctx, realm)
	if err != nil || !on {
		return false, err
	}
	bf := bruteForce(r)
	if ip != "" {
		if locked, err := l.locked(ctx, r, ipFailureKey(ip), bf.FailureFactor*l.ipFactor); err != nil || locked {
			return locked, err
		}
	}
	return l.locked(ctx, r, userFailureKey(userID), bf.FailureFactor)
}

func (l *Lockout) locked(ctx context.Context, r realms.Realm, key string, factor int) (bool, error) {
	lf, err := l.failures.LoginFailures(ctx, r.Name, key)
	if err != nil {
		return false, iam.Wrap("auth.Lockout", err)
	}
	return l.now().Before(lockedUntil(bruteForce(r), factor, lf)), nil
}

// Failed counts a wrong password for userID from ip ("" for none).
func (l *Lockout) Failed(ctx context.Context, realm iam.Realm, userID, ip string) error {
	r, on, err := l.protection(ctx, realm)
	if err != nil || !on {
		return err
	}
	bf := bruteForce(r)
	keys := []string{userFailureKey(userID)}
	if ip != "" {
		keys = append(keys, ipFailureKey(ip))
	}
	for _, key := range keys {
		if _, err := l.failures.RecordLoginFailure(ctx, realm, key, ip, l.now(), bf.ResetAfter, failureTTL(bf)); err != nil {
			return iam.Wrap("auth.Lockout.Failed", err)
		}
	}
	return nil
}

// Succeeded forgets userID's failures, as a successful login does.
func (l *Lockout) Succeeded(ctx context.Context, realm iam.Realm, userID string) error {
	_, on, err := l.protection(ctx, realm)
	if err != nil || !on {
		return err
	}
	return iam.Wrap("auth.Lockout.Succeeded", l.failures.ClearLoginFailures(ctx, realm, userFailureKey(userID)))
}
