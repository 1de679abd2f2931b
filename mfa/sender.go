package mfa

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Channels of one-time codes.
const (
	ChannelEmail = "email"
)

// Message is a one-time code to deliver. Code is secret: a Sender must not
// log it, and it never travels on the event bus.
type Message struct {
	Realm     iam.Realm
	UserID    string
	Channel   string // ChannelEmail
	To        string // the address
	Code      string
	ExpiresAt time.Time
}

// Sender delivers one-time codes to users. The notification service
// implements it (issue 12); LogSender is the development default. An error
// fails SendEmailOTP (CodeUnavailable unless the error says otherwise) and
// voids the code.
type Sender interface {
	SendOTP(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// SendOTP calls f.
func (f SenderFunc) SendOTP(ctx context.Context, m Message) error { return f(ctx, m) }

// LogSender "delivers" codes to a log, for development: it logs "code sent
// to a…@example.com" with the realm and user, never the code itself unless
// RevealCodes is set (the all-in-one's OPENGATE_MFA_LOG_CODES, for local
// development only: anyone who reads the log can then pass the second
// factor).
type LogSender struct {
	Log         *slog.Logger // slog.Default() when nil
	RevealCodes bool
}

// SendOTP logs the delivery.
func (l LogSender) SendOTP(ctx context.Context, m Message) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"realm", string(m.Realm), "user", m.UserID, "channel", m.Channel, "expires", m.ExpiresAt.UTC().Format(time.RFC3339)}
	if l.RevealCodes {
		attrs = append(attrs, "code", m.Code, "warning", "OPENGATE_MFA_LOG_CODES is set: codes are in the log")
	}
	log.InfoContext(ctx, "mfa: code sent to "+MaskEmail(m.To), attrs...)
	return nil
}

// MaskEmail shows an address enough for its owner to recognise it:
// "alice@example.com" becomes "a…@example.com". A string without "@" is
// masked whole ("…").
func MaskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "…"
	}
	first := []rune(local)[0]
	return string(first) + "…@" + domain
}
