package auth

import (
	"fmt"
	"slices"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// MaxRetiredKeys bounds the retired signing keys a realm keeps: a rotated-out
// key stays in the JWKS for the maximum token lifespan (WithMaxTokenLifespan,
// 24 h by default) so that the tokens it signed stay valid, and at most this
// many of them are kept, the newest. It bounds the JWKS (about 4 KB of RSA
// keys) and the keys a reload decrypts, however often keys rotate.
//
// RotateKey is rate-limited by it: a rotation that would retire one key too
// many is refused (CodeRateLimited, with the time until the oldest such key
// expires as a retry hint) instead of ending tokens early. Rotations that
// cannot wait — WithKeyRotation's schedule, a change of the realm's signing
// algorithm — proceed, and the oldest retired keys beyond the cap are
// dropped, ending the tokens they signed before those expire.
const MaxRetiredKeys = 10

// rotationAllowed refuses a requested rotation while the realm already
// keeps MaxRetiredKeys retired keys in use.
func rotationAllowed(keys []Key, now time.Time) error {
	retired := retiredInUse(keys, now)
	if len(retired) < MaxRetiredKeys {
		return nil
	}
	// A slot frees when the MaxRetiredKeys-th newest retired key expires.
	wait := retired[MaxRetiredKeys-1].ExpiresAt.Sub(now)
	return &iam.Error{Code: iam.CodeRateLimited,
		Message: fmt.Sprintf("the realm already keeps %d retired signing keys for tokens that may still be valid; rotate again in %s",
			MaxRetiredKeys, wait.Round(time.Second)),
		Err: &iam.RetryAfterError{After: wait}}
}

// retiredInUse returns the retired keys that have not expired, newest
// (latest to expire) first.
func retiredInUse(keys []Key, now time.Time) []Key {
	var out []Key
	for _, k := range keys {
		if !k.Active() && k.ExpiresAt.After(now) {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b Key) int { return b.ExpiresAt.Compare(a.ExpiresAt) })
	return out
}

// activeCount counts the active keys (one, or none for a new realm).
func activeCount(keys []Key) int {
	n := 0
	for _, k := range keys {
		if k.Active() {
			n++
		}
	}
	return n
}
