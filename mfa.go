package opengate

import (
	"cmp"
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/mfa/mfapg"
	"github.com/opengate-iam/opengate/mfa/mfaredis"
)

// newMFA makes the MFA service: factors in the mfa database (TOTP secrets
// sealed with sealer) or in memory, verification state in Redis or in
// memory, mfa.otp_sent through the database's outbox or the bus. It reads
// realms from s.Realms and completes CONFIGURE_TOTP through s.Users once
// that exists. Email codes go to cfg.Options.MFA's sender, else through the
// notify service (s.Notify).
func (s *Server) newMFA(cfg Config, sealer *iamcrypto.Sealer) (*mfa.Service, error) {
	var (
		store  mfa.Store
		state  mfa.EphemeralStore
		events = s.pub
	)
	if d := s.dbs; d == nil {
		store = mfamem.New()
	} else {
		var err error
		if store, err = mfapg.New(d.MFA, sealer); err != nil {
			return nil, err
		}
		events = mfapg.NewOutbox(d.MFA)
	}
	if rc := cfg.Redis; rc == nil {
		state = mfamem.NewEphemeral()
	} else {
		state = mfaredis.New(rc, mfaredis.WithPrefix(cmp.Or(cfg.RedisPrefix, "opengate:")))
	}
	return mfa.New(store, state, s.Realms, append([]mfa.Option{
		mfa.WithPublisher(events), mfa.WithLogger(s.log), mfa.WithSender(notifySender{s}),
		mfa.WithRequiredActions(usersActions{s}),
	}, cfg.Options.MFA...)...), nil
}

// usersActions completes required actions through s.Users, which is built
// after the MFA service (users shows the MFA service's factors).
type usersActions struct{ s *Server }

// CompleteRequiredAction calls users.Service.CompleteRequiredAction.
func (u usersActions) CompleteRequiredAction(ctx context.Context, realm iam.Realm, userID, action string) error {
	return u.s.Users.CompleteRequiredAction(ctx, realm, userID, action)
}
