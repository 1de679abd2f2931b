package mfa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Recovery codes are 16 characters of a 32-letter alphabet without look-alikes
// (80 bits each), shown in four groups ("7k2m-q9xr-...") and accepted with or
// without the dashes, in any case. They are stored as SHA-256 hashes: at 80
// bits a hash needs no salt or stretching to resist guessing.
const (
	recoveryAlphabet   = "0123456789abcdefghjkmnpqrstvwxyz" // Crockford's base32, lowercase
	recoveryCodeLength = 16
)

// newRecoveryCode returns a random recovery code, grouped by dashes.
func newRecoveryCode() string {
	b := make([]byte, recoveryCodeLength)
	_, _ = rand.Read(b) // never fails
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(recoveryAlphabet[c&31])
	}
	return sb.String()
}

// recoveryHash is the stored form of a normalised recovery code.
func recoveryHash(code string) []byte {
	h := sha256.Sum256([]byte(strings.ToLower(code)))
	return h[:]
}

// RegenerateRecoveryCodes makes a new set of RecoveryCodeCount single-use
// recovery codes for the user and returns them, to be shown once: only
// their hashes are kept. The user's earlier set, if any, is void from then
// on. Recovery codes back up an authenticator: CodeConflict when the user
// has no confirmed authenticator (TOTP). CodeNotFound for an unknown realm;
// CodeForbidden when the realm's mfaPolicy is off.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, realm iam.Realm, userID string) ([]string, error) {
	const op = "mfa.RegenerateRecoveryCodes"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	if r.MFA == realms.MFAOff {
		return nil, iam.Wrap(op, iam.Errorf(iam.CodeForbidden, "second factors are off in this realm"))
	}
	if err := checkUser(userID); err != nil {
		return nil, iam.Wrap(op, err)
	}
	factors, err := s.confirmed(ctx, realm, userID)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	var current *Factor
	hasTOTP := false
	for i, f := range factors {
		switch f.Type {
		case TypeTOTP:
			hasTOTP = true
		case TypeRecoveryCodes:
			current = &factors[i]
		}
	}
	if !hasTOTP {
		return nil, iam.Wrap(op, iam.Conflictf("recovery codes back up an authenticator app: enrol one first"))
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = recoveryHash(normalizeCode(codes[i]))
	}
	now := s.timestamp()
	replace := func(f *Factor) error {
		f.CodeHashes, f.CreatedAt, f.ConfirmedAt = hashes, now, now
		return nil
	}
	if current != nil {
		_, err = s.store.Update(ctx, realm, userID, current.ID, replace)
	}
	if current == nil || iam.ErrorCode(err) == iam.CodeNotFound {
		f := Factor{ID: iam.NewID(), Realm: realm, UserID: userID, Type: TypeRecoveryCodes, Label: "Recovery codes",
			CreatedAt: now, ConfirmedAt: now, CodeHashes: hashes}
		err = s.store.Create(ctx, f)
		if iam.ErrorCode(err) == iam.CodeConflict {
			// Another call made a set at the same moment: replace it.
			err = s.replaceSet(ctx, realm, userID, replace)
		}
	}
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	return codes, nil
}

// replaceSet applies replace to the user's set of recovery codes.
func (s *Service) replaceSet(ctx context.Context, realm iam.Realm, userID string, replace func(*Factor) error) error {
	all, err := s.store.List(ctx, realm, userID)
	if err != nil {
		return err
	}
	for _, f := range all {
		if f.Type == TypeRecoveryCodes {
			_, err := s.store.Update(ctx, realm, userID, f.ID, replace)
			return err
		}
	}
	return iam.Conflictf("the recovery codes changed meanwhile: try again")
}

// errNoRecoveryMatch aborts the update of a set that lacks the code (a
// plain error: stores return fn's error, or wrap it, and errors.Is finds
// it either way).
var errNoRecoveryMatch = errors.New("mfa: no such recovery code")

// useRecoveryCode removes code from f's set and reports whether it was
// there: of concurrent uses of one code, exactly one succeeds. Every stored
// hash is compared, in constant time.
func (s *Service) useRecoveryCode(ctx context.Context, f Factor, code string) (bool, error) {
	h := recoveryHash(code)
	_, err := s.store.Update(ctx, f.Realm, f.UserID, f.ID, func(f *Factor) error {
		found := -1
		for i, stored := range f.CodeHashes {
			if subtle.ConstantTimeCompare(stored, h) == 1 && found < 0 {
				found = i
			}
		}
		if found < 0 {
			return errNoRecoveryMatch
		}
		f.CodeHashes = append(f.CodeHashes[:found:found], f.CodeHashes[found+1:]...)
		return nil
	})
	switch {
	case errors.Is(err, errNoRecoveryMatch) || iam.ErrorCode(err) == iam.CodeNotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
