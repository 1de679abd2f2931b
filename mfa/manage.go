package mfa

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// DeleteFactor removes the user's factor factorID (a pending enrolment
// too). Removing the user's last authenticator also voids their recovery
// codes, which back it up. CodeNotFound if the realm or the factor does not
// exist.
func (s *Service) DeleteFactor(ctx context.Context, realm iam.Realm, userID, factorID string) error {
	const op = "mfa.DeleteFactor"
	if _, err := s.realm(ctx, realm); err != nil {
		return iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.store.Delete(ctx, realm, userID, factorID); err != nil {
		if iam.ErrorCode(err) == iam.CodeNotFound {
			err = iam.NotFoundf("factor not found")
		}
		return iam.Wrap(op, err)
	}
	left, err := s.store.List(ctx, realm, userID)
	if err != nil {
		return iam.Wrap(op, err)
	}
	var codes []string
	for _, f := range left {
		switch {
		case f.Type == TypeTOTP && f.Confirmed():
			return nil
		case f.Type == TypeRecoveryCodes:
			codes = append(codes, f.ID)
		}
	}
	for _, id := range codes {
		if err := s.store.Delete(ctx, realm, userID, id); err != nil && iam.ErrorCode(err) != iam.CodeNotFound {
			return iam.Wrap(op, err)
		}
	}
	return nil
}

// DeleteFactors removes every factor of the user (an administrator's reset
// when the user lost them all) and returns how many there were.
// CodeNotFound for an unknown realm.
func (s *Service) DeleteFactors(ctx context.Context, realm iam.Realm, userID string) (int, error) {
	const op = "mfa.DeleteFactors"
	if _, err := s.realm(ctx, realm); err != nil {
		return 0, iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return 0, iam.Wrap(op, err)
	}
	n, err := s.store.DeleteUser(ctx, realm, userID)
	return n, iam.Wrap(op, err)
}
