package mfa

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// QRCodeSize is the width and height in pixels of enrolment QR codes.
const QRCodeSize = 256

// b32 is the secret encoding authenticator apps read: base32 without
// padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// algorithm maps a realm policy's algorithm to pquerna/otp's.
func algorithm(name string) (otp.Algorithm, error) {
	switch name {
	case realms.OTPHmacSHA1:
		return otp.AlgorithmSHA1, nil
	case realms.OTPHmacSHA256:
		return otp.AlgorithmSHA256, nil
	case realms.OTPHmacSHA512:
		return otp.AlgorithmSHA512, nil
	}
	return 0, &iam.Error{Code: iam.CodeInternal, Op: "mfa.algorithm", Message: "unknown OTP algorithm"}
}

// secretSize is the key length RFC 6238's reference uses per hash: the
// hash's output size.
func secretSize(alg string) int {
	switch alg {
	case realms.OTPHmacSHA256:
		return 32
	case realms.OTPHmacSHA512:
		return 64
	}
	return 20
}

// newSecret returns a random TOTP secret for alg.
func newSecret(alg string) []byte {
	b := make([]byte, secretSize(alg))
	_, _ = rand.Read(b) // never fails
	return b
}

// EncodeSecret is the secret as an authenticator app's manual entry takes
// it: base32 without padding.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// enrolmentKey returns the otpauth:// key of f for an app, labelled
// issuer:accountName.
func enrolmentKey(f Factor, issuer, accountName string) (*otp.Key, error) {
	alg, err := algorithm(f.Algorithm)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: accountName, Period: uint(f.Period / time.Second),
		Secret: f.Secret, Digits: otp.Digits(f.Digits), Algorithm: alg})
	if err != nil {
		return nil, iam.Wrap("mfa.enrolmentKey", err)
	}
	return key, nil
}

// qrCode renders key's otpauth:// URI as a PNG.
func qrCode(key *otp.Key) ([]byte, error) {
	img, err := key.Image(QRCodeSize, QRCodeSize)
	if err != nil {
		return nil, iam.Wrap("mfa.qrCode", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, iam.Wrap("mfa.qrCode", err)
	}
	return buf.Bytes(), nil
}

// step returns the TOTP time step of t for period.
func step(t time.Time, period time.Duration) int64 {
	return t.Unix() / int64(period/time.Second)
}

// matchTOTP returns the latest time step within window steps of now at
// which f's code is code, or -1. The latest: when two steps of the window
// happen to share a code (one chance in a million per pair), the code
// counts as the newer one, which may not have been used yet. It computes
// every step of the window and compares each in constant time, so its
// duration does not tell which (or whether one) matched.
func matchTOTP(f Factor, code string, now time.Time, window int) (int64, error) {
	if len(code) != f.Digits {
		return -1, nil
	}
	alg, err := algorithm(f.Algorithm)
	if err != nil {
		return -1, err
	}
	secret := EncodeSecret(f.Secret)
	opts := hotp.ValidateOpts{Digits: otp.Digits(f.Digits), Algorithm: alg}
	current := step(now, f.Period)
	matched := int64(-1)
	for s := current - int64(window); s <= current+int64(window); s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), opts)
		if err != nil {
			return -1, iam.Wrap("mfa.matchTOTP", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = s
		}
	}
	return matched, nil
}

// GenerateTOTP returns the code of an authenticator with secret and the
// given parameters at t: what the user's app shows. For tests and tools.
func GenerateTOTP(secret []byte, alg string, digits int, period time.Duration, t time.Time) (string, error) {
	a, err := algorithm(alg)
	if err != nil {
		return "", err
	}
	code, err := totp.GenerateCodeCustom(EncodeSecret(secret), t, totp.ValidateOpts{
		Period: uint(period / time.Second), Digits: otp.Digits(digits), Algorithm: a})
	if err != nil {
		return "", iam.Wrap("mfa.GenerateTOTP", err)
	}
	return code, nil
}

// replayTTL is how long an accepted step must be remembered: until no step
// at or before it can be within the window any more.
func replayTTL(f Factor, window int) time.Duration {
	return time.Duration(2*window+2) * f.Period
}

// normalizeCode removes the spaces and dashes users type or paste into
// codes ("123 456", "abcd-efgh").
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

// isDigits reports whether s is non-empty and only ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
