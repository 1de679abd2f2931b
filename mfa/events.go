package mfa

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Source is the CloudEvents source of the MFA service's events.
const Source = "/opengate/mfa"

// OTPSentEvent is the data of mfa.otp_sent, for the audit trail: a
// one-time code was sent to the user (the event's subject) over Channel.
// It never carries the code nor the address: the code travels only from
// the Service to its Sender.
type OTPSentEvent struct {
	UserID  string `json:"userId"`
	Channel string `json:"channel"`
}

// published publishes mfa.otp_sent; a failure is logged, not returned (the
// code is already on its way).
func (s *Service) published(ctx context.Context, data OTPSentEvent, realm iam.Realm) {
	if s.events == nil {
		return
	}
	e, err := iam.NewEvent(Source, iam.TopicOTPSent, realm, data.UserID, data)
	if err == nil {
		err = s.events.Publish(ctx, e)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "mfa: could not publish mfa.otp_sent", "realm", string(realm), "user", data.UserID,
			"error", iam.ErrorMessage(err))
	}
}
