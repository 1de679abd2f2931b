package notify

import (
	"context"
	"log/slog"
	"strings"
)

// Server is where and how mail is sent: a realm's smtpServer settings, or
// the deployment's default. Password is a secret: it is never logged, never
// stored by notify and never part of an error.
type Server struct {
	Host string
	// Port defaults to 465 with SSL, else 587 with StartTLS, else 25.
	Port         int
	From         string
	FromName     string
	ReplyTo      string
	ReplyToName  string
	EnvelopeFrom string
	// User and Password authenticate to the server (none when User is
	// empty).
	User     string
	Password string
	// SSL connects with implicit TLS; StartTLS requires STARTTLS. With
	// neither, the connection stays in clear (a relay on localhost).
	SSL      bool
	StartTLS bool
}

// Configured reports whether s names a server to send through.
func (s Server) Configured() bool { return s.Host != "" }

// Message is a rendered mail.
type Message struct {
	// ID identifies the mail (the delivery's id; the Message-ID header's
	// left part).
	ID   string
	Kind Kind
	// To and ToName are the recipient.
	To     string
	ToName string
	// Subject, HTML and Text are the rendered mail: an HTML part and its
	// plain-text alternative.
	Subject string
	HTML    string
	Text    string
	// Link is the mail's button link, "" for none.
	Link string
	// Secrets are values in the mail that no log may show (an e-mail
	// OTP's code): LogTransport masks them, and the Service removes them
	// from errors.
	Secrets []string
}

// Transport sends one message through server. Errors should say what
// failed (the server's reply) without the server's password; the Service
// removes the password and the message's secrets from them anyway before
// it logs or stores them.
type Transport interface {
	Send(ctx context.Context, server Server, m Message) error
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, server Server, m Message) error

// Send calls f.
func (f TransportFunc) Send(ctx context.Context, server Server, m Message) error {
	return f(ctx, server, m)
}

// LogTransport "sends" mail to a log, for development: the all-in-one's
// default when no SMTP server is configured. It logs the recipient, the
// subject, the button link and the plain-text body, so that a developer can
// follow a verification or reset link from the log; the message's Secrets
// (an OTP code) are masked, and the server settings (with their password)
// are never logged. Anyone who reads the log can follow the links: never
// use it in production.
type LogTransport struct {
	Log *slog.Logger // slog.Default() when nil
}

// Send logs m and returns nil.
func (l LogTransport) Send(ctx context.Context, _ Server, m Message) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []any{"kind", string(m.Kind), "to", m.To, "subject", redact(m.Subject, m.Secrets...)}
	if m.Link != "" {
		attrs = append(attrs, "link", m.Link)
	}
	attrs = append(attrs, "text", redact(m.Text, m.Secrets...))
	log.InfoContext(ctx, "notify: mail not sent, logged instead (no SMTP server configured)", attrs...)
	return nil
}

// Masked replaces a secret in logs and errors.
const Masked = "[redacted]"

// redact returns s with every non-empty secret replaced by Masked.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Masked)
		}
	}
	return s
}
