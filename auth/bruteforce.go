package auth

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Brute-force protection follows Keycloak's temporary lockout: every failed
// login is counted (the count restarts when the previous failure is older
// than ResetAfter, Keycloak's maxDeltaTimeSeconds); after n failures the user
// must wait WaitIncrement × ⌊n / FailureFactor⌋, at most MaxWait, from the
// last failure. While locked, every login fails with the same error as a
// wrong password, and is not counted. Addresses are counted the same way,
// with the failure factor multiplied by WithIPFailureFactor.

// Keycloak's defaults for unset brute-force settings.
const (
	defaultFailureFactor = 30
	defaultWaitIncrement = time.Minute
	defaultMaxWait       = 15 * time.Minute
	defaultResetAfter    = 12 * time.Hour
)

// bruteForce returns the realm's settings with defaults for unset values.
func bruteForce(r realms.Realm) realms.BruteForce {
	bf := r.BruteForce
	if bf.FailureFactor <= 0 {
		bf.FailureFactor = defaultFailureFactor
	}
	if bf.WaitIncrement <= 0 {
		bf.WaitIncrement = defaultWaitIncrement
	}
	if bf.MaxWait <= 0 {
		bf.MaxWait = defaultMaxWait
	}
	if bf.ResetAfter <= 0 {
		bf.ResetAfter = defaultResetAfter
	}
	return bf
}

// lockedUntil is when the holder of lf may try again (zero if not locked by
// the count alone).
func lockedUntil(bf realms.BruteForce, factor int, lf LoginFailures) time.Time {
	if lf.NumFailures < factor || factor <= 0 {
		return time.Time{}
	}
	wait := bf.WaitIncrement * time.Duration(lf.NumFailures/factor)
	if wait > bf.MaxWait {
		wait = bf.MaxWait
	}
	return lf.LastFailure.Add(wait)
}

func userFailureKey(userID string) string { return "user:" + userID }
func ipFailureKey(ip string) string       { return "ip:" + ip }

// failureTTL is how long a failure record matters: until it would be reset.
func failureTTL(bf realms.BruteForce) time.Duration { return bf.ResetAfter + bf.MaxWait }

// isLocked reports whether key is locked out now.
func (s *Service) isLocked(ctx context.Context, realm realms.Realm, key string, factor int) (bool, LoginFailures, error) {
	lf, err := s.tokens.LoginFailures(ctx, realm.Name, key)
	if err != nil {
		return false, lf, iam.Wrap("auth.isLocked", err)
	}
	until := lockedUntil(bruteForce(realm), factor, lf)
	return s.now().Before(until), lf, nil
}

// recordFailure counts a failure for key.
func (s *Service) recordFailure(ctx context.Context, realm realms.Realm, key, ip string) error {
	bf := bruteForce(realm)
	_, err := s.tokens.RecordLoginFailure(ctx, realm.Name, key, ip, s.now(), bf.ResetAfter, failureTTL(bf))
	return iam.Wrap("auth.recordFailure", err)
}

// BruteForceStatus is a user's lockout state, as Keycloak's attack-detection
// endpoint reports it.
type BruteForceStatus struct {
	NumFailures   int
	Disabled      bool // locked out now
	LastIPFailure string
	LastFailure   time.Time // zero if none
}

// BruteForceStatus returns the failed-login state of user userID of realm.
// A user without failures (or an unknown id) has a zero status. CodeNotFound
// for an unknown realm.
func (s *Service) BruteForceStatus(ctx context.Context, realm iam.Realm, userID string) (BruteForceStatus, error) {
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return BruteForceStatus{}, err
	}
	if userID == "" {
		return BruteForceStatus{}, iam.Invalidf("id", "user id is required")
	}
	locked, lf, err := s.isLocked(ctx, r, userFailureKey(userID), bruteForce(r).FailureFactor)
	if err != nil {
		return BruteForceStatus{}, err
	}
	return BruteForceStatus{
		NumFailures:   lf.NumFailures,
		Disabled:      r.BruteForce.Enabled && locked,
		LastIPFailure: lf.LastIPFailure,
		LastFailure:   lf.LastFailure,
	}, nil
}

// ClearBruteForce forgets the failed logins of user userID of realm, which
// ends a lockout. CodeNotFound for an unknown realm.
func (s *Service) ClearBruteForce(ctx context.Context, realm iam.Realm, userID string) error {
	if _, err := s.Realm(ctx, realm); err != nil {
		return err
	}
	if userID == "" {
		return iam.Invalidf("id", "user id is required")
	}
	return iam.Wrap("auth.ClearBruteForce", s.tokens.ClearLoginFailures(ctx, realm, userFailureKey(userID)))
}
