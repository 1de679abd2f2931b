package notify

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

var _ mfa.Sender = (*Service)(nil)

// SendOTP mails an e-mail one-time code of the mfa service (it implements
// mfa.Sender): at once, in the user's language, through the realm's mail
// server. The code is never stored, logged, or part of an error: the
// delivery log records the mail (kind email-otp) as sent or failed after
// this one attempt, and such a delivery is never retried (the user asks
// for a new code). Errors: CodeInvalid for a message without realm,
// address or code, or on another channel; CodeNotFound for an unknown
// realm or user; CodeUnavailable when the mail could not be sent.
func (s *Service) SendOTP(ctx context.Context, m mfa.Message) error {
	const op = "notify.SendOTP"
	switch {
	case m.Channel != mfa.ChannelEmail:
		return iam.Wrap(op, iam.Invalidf("channel", "only e-mail codes are sent by mail"))
	case m.To == "":
		return iam.Wrap(op, iam.Invalidf("to", "an address is required"))
	case m.Code == "":
		return iam.Wrap(op, iam.Invalidf("code", "a code is required"))
	}
	r, err := s.realm(ctx, m.Realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.users.Get(ctx, m.Realm, m.UserID)
	if err != nil {
		return iam.Wrap(op, err)
	}
	now := s.timestamp()
	d := Delivery{ID: iam.NewID(), Realm: m.Realm, EventID: iam.NewID(), Kind: KindEmailOTP, UserID: u.ID, To: m.To,
		Attempts: 1, CreatedAt: now, UpdatedAt: now,
		Data: Data{Locale: locale(u), Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
			ExpiresAt: m.ExpiresAt.UTC()}}
	secrets := []string{m.Code}
	sendErr := func() error {
		server, transport, err := s.serverFor(r)
		if err != nil {
			return err
		}
		secrets = append(secrets, server.Password)
		msg, err := s.compose(ctx, r, d, "", m.Code)
		if err != nil {
			return err
		}
		sendCtx, cancel := context.WithTimeout(ctx, SendTimeout)
		defer cancel()
		return transport.Send(sendCtx, server, msg)
	}()
	d.Status, d.SentAt = StatusSent, now
	attrs := []any{"realm", string(m.Realm), "delivery", d.ID, "kind", string(d.Kind)}
	if sendErr != nil {
		d.Status, d.SentAt, d.LastError = StatusFailed, time.Time{}, failureText(sendErr, secrets...)
		s.log.WarnContext(ctx, "notify: mail not sent", append(attrs, "status", string(d.Status), "error", d.LastError)...)
	} else {
		s.log.InfoContext(ctx, "notify: mail sent", attrs...)
	}
	if _, _, err := s.store.Enqueue(context.WithoutCancel(ctx), d); err != nil {
		s.log.WarnContext(ctx, "notify: cannot record a delivery", append(attrs, "error", failureText(err, secrets...))...)
	}
	if sendErr != nil {
		return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "the code could not be sent",
			Err: errors.New(d.LastError)}
	}
	return nil
}
