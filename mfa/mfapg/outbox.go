package mfapg

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// Outbox is an iam.Publisher that writes events to the outbox table of the
// MFA database (iampg.Write), from where an iampg.Relay publishes them to
// the bus. Pass it to mfa.WithPublisher: mfa.otp_sent is then durable once
// SendEmailOTP returns, even if the bus is down.
type Outbox struct {
	db iampg.DB
}

var _ iam.Publisher = (*Outbox)(nil)

// NewOutbox returns an Outbox writing to db, whose database Migrate has
// prepared. Each statement is bounded by its context's per-call budget
// (iampg.WithCallTimeouts).
func NewOutbox(db iampg.DB) *Outbox { return &Outbox{db: iampg.WithCallTimeouts(db)} }

// Publish writes events to the outbox in one transaction.
func (o *Outbox) Publish(ctx context.Context, events ...iam.Event) error {
	return iampg.WithTx(ctx, o.db, func(tx pgx.Tx) error {
		return iampg.Write(ctx, tx, events...)
	})
}
