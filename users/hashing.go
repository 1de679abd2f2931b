package users

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users/password"
)

// HashBusyRetryAfter is the Retry-After given with the CodeUnavailable error
// of a password operation turned away because hashing is at its bound.
const HashBusyRetryAfter = time.Second

// WithHashLimit bounds the password hashing of the service: at most slots
// hashes or verifications run at once and at most queue callers wait for
// one; the next caller gets CodeUnavailable (503 with Retry-After) at once.
// slots < 1 means runtime.GOMAXPROCS(0) and queue < 0 means
// password.DefaultQueuePerSlot × slots, the default.
func WithHashLimit(slots, queue int) Option {
	return func(s *Service) { s.hashing = password.NewLimiter(slots, queue) }
}

// hashSlot waits for a hashing slot: every call of the Hasher — logins,
// dummy verifications for unknown users, history checks, new and rehashed
// passwords — holds one, so the memory and CPU of hashing stay bounded
// whatever the number of requests. The error is CodeUnavailable with a
// retry hint of HashBusyRetryAfter.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	release, err = s.hashing.Acquire(ctx)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeUnavailable, Op: "users.hash",
			Message: "too many password checks in progress, retry later",
			Err:     &iam.RetryAfterError{After: HashBusyRetryAfter, Err: err}}
	}
	return release, nil
}

// hash hashes pw under p in a hashing slot.
func (s *Service) hash(ctx context.Context, pw string, p password.Params) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	h, err := s.hasher.Hash(pw, p)
	if err != nil {
		return "", iam.Wrap("users.hash", err)
	}
	return h, nil
}

// errUnusableHash marks a stored hash the Hasher cannot verify.
var errUnusableHash = errors.New("users: stored password hash is unusable")

// verify checks pw against encoded in a hashing slot. It reports false with
// a nil error for a mismatch, the CodeUnavailable error of hashSlot when
// busy, and an error wrapping errUnusableHash (with the Hasher's reason) for
// a hash it cannot verify.
func (s *Service) verify(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	ok, err := s.hasher.Verify(encoded, pw)
	if err != nil {
		return false, errors.Join(errUnusableHash, err)
	}
	return ok, nil
}

// HashLoad reports the service's password hashing now: how many hashes or
// verifications run and how many callers wait for a slot (the queue depth
// that turns into 503s once it reaches the WithHashLimit bound), and those
// bounds. For metrics.
func (s *Service) HashLoad() (running, waiting, slots, queue int) {
	return s.hashing.Running(), s.hashing.Waiting(), s.hashing.Slots(), s.hashing.Queue()
}
