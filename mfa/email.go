package mfa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math"
	"math/big"
	"net/mail"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// ChallengeHash is the stored form of an email code: the SHA-256 of the
// challenge id (random, so equal codes of two challenges differ) and the
// code.
func ChallengeHash(challengeID, code string) []byte {
	h := sha256.Sum256([]byte(challengeID + ":" + code))
	return h[:]
}

// newEmailCode returns EmailOTPDigits random decimal digits.
func newEmailCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000)) // never fails
	return fmt.Sprintf("%06d", n.Int64())
}

// SendEmailOTP sends the user a new EmailOTPDigits-digit code at email
// (their verified address: the caller's concern), valid for the
// configured lifespan (5 minutes by default) and a few attempts (5), which
// replaces any code sent before. It publishes mfa.otp_sent (realm, user,
// channel: never the code nor the address). At most the configured number
// of codes (5 per 15 minutes) are sent to a user: beyond it,
// CodeRateLimited says when to retry. Errors: CodeNotFound for an unknown
// realm, CodeForbidden when the realm's mfaPolicy is off, CodeInvalid for
// a malformed address or user id, CodeUnavailable when the Sender fails
// (the code is then void).
func (s *Service) SendEmailOTP(ctx context.Context, realm iam.Realm, userID, email string) error {
	const op = "mfa.SendEmailOTP"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if r.MFA == realms.MFAOff {
		return iam.Wrap(op, iam.Errorf(iam.CodeForbidden, "second factors are off in this realm"))
	}
	if err := checkUser(userID); err != nil {
		return iam.Wrap(op, err)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return iam.Wrap(op, iam.Invalidf("email", "a bare email address is required"))
	}
	n, resetIn, err := s.state.CountSend(ctx, realm, userID, s.email.window)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if n > s.email.sends {
		return iam.Wrap(op, &iam.Error{Code: iam.CodeRateLimited,
			Message: fmt.Sprintf("too many codes sent: try again in %d seconds", int64(math.Ceil(resetIn.Seconds()))),
			Err:     &iam.RetryAfterError{After: max(resetIn, time.Second)}})
	}
	code := newEmailCode()
	c := Challenge{Realm: realm, UserID: userID, ID: iam.NewID(), ExpiresAt: s.now().Add(s.email.lifespan)}
	c.Hash = ChallengeHash(c.ID, code)
	if err := s.state.SaveChallenge(ctx, c, s.email.lifespan); err != nil {
		return iam.Wrap(op, err)
	}
	msg := Message{Realm: realm, UserID: userID, Channel: ChannelEmail, To: email, Code: code, ExpiresAt: c.ExpiresAt}
	if err := s.sender.SendOTP(ctx, msg); err != nil {
		_, _ = s.state.DeleteChallenge(ctx, realm, userID, c.ID)
		if iam.ErrorCode(err) == iam.CodeInternal {
			err = &iam.Error{Code: iam.CodeUnavailable, Message: "the code could not be sent", Err: err}
		}
		return iam.Wrap(op, err)
	}
	s.published(ctx, OTPSentEvent{UserID: userID, Channel: ChannelEmail}, realm)
	return nil
}
