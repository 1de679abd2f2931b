package notifysmtp

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

// Transport sends mail over SMTP. It is safe for concurrent use; each Send
// opens its own connection.
type Transport struct {
	tls     *tls.Config
	helo    string
	timeout time.Duration
}

var _ notify.Transport = (*Transport)(nil)

// Option configures a Transport.
type Option func(*Transport)

// WithTLSConfig sets the TLS configuration of SSL and STARTTLS connections
// (default: the system's roots, the server's host name, TLS 1.2 at
// least). Its ServerName is set to the server's host at each Send.
func WithTLSConfig(c *tls.Config) Option { return func(t *Transport) { t.tls = c } }

// WithHELO sets the name the transport greets servers with (default: the
// host name).
func WithHELO(name string) Option { return func(t *Transport) { t.helo = name } }

// WithTimeout bounds connecting and each command (default 30 s); Send's
// context bounds the whole exchange.
func WithTimeout(d time.Duration) Option { return func(t *Transport) { t.timeout = d } }

// New returns a Transport.
func New(opts ...Option) *Transport {
	t := &Transport{timeout: 30 * time.Second}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Default ports.
const (
	portSSL      = 465
	portStartTLS = 587
	portPlain    = 25
)

// Send sends m through server: CodeInvalid for settings or addresses that
// cannot make a message (an empty From, a malformed address) and for a user
// without ssl or starttls (a password is never sent in clear), CodeUnavailable
// with the server's answer when it cannot be reached or refuses the
// message. Errors never carry server.Password.
func (t *Transport) Send(ctx context.Context, server notify.Server, m notify.Message) error {
	const op = "notifysmtp.Send"
	if server.User != "" && !server.SSL && !server.StartTLS {
		return &iam.Error{Code: iam.CodeInvalid, Op: op,
			Message: "the SMTP password is only sent over TLS: set ssl or starttls with a user"}
	}
	msg, err := t.message(server, m)
	if err != nil {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Message: "the message cannot be made: " + err.Error()}
	}
	client, err := mail.NewClient(server.Host, t.clientOptions(server)...)
	if err != nil {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Message: "the SMTP settings are unusable: " + err.Error()}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return &iam.Error{Code: iam.CodeUnavailable, Op: op,
			Message: fmt.Sprintf("%s:%d did not take the mail: %s", server.Host, port(server), redact(err.Error(), server.Password))}
	}
	return nil
}

// port is server's port or the default of its security.
func port(s notify.Server) int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.SSL:
		return portSSL
	case s.StartTLS:
		return portStartTLS
	}
	return portPlain
}

// clientOptions are go-mail's options for server.
func (t *Transport) clientOptions(s notify.Server) []mail.Option {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.tls != nil {
		cfg = t.tls.Clone()
	}
	cfg.ServerName = s.Host
	opts := []mail.Option{mail.WithPort(port(s)), mail.WithTimeout(t.timeout), mail.WithTLSConfig(cfg)}
	switch {
	case s.SSL:
		opts = append(opts, mail.WithSSL())
	case s.StartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if t.helo != "" {
		opts = append(opts, mail.WithHELO(t.helo))
	}
	if s.User != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.User), mail.WithPassword(s.Password))
	}
	return opts
}

// message builds the MIME message of m from server's sender settings.
func (t *Transport) message(s notify.Server, m notify.Message) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(s.FromName, s.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if s.EnvelopeFrom != "" {
		if err := msg.EnvelopeFrom(s.EnvelopeFrom); err != nil {
			return nil, fmt.Errorf("envelopeFrom: %w", err)
		}
	}
	if s.ReplyTo != "" {
		if err := msg.ReplyToFormat(s.ReplyToName, s.ReplyTo); err != nil {
			return nil, fmt.Errorf("replyTo: %w", err)
		}
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID + "@" + domain(s.From))
	} else {
		msg.SetMessageID()
	}
	// RFC 3834: an automatic message; auto-responders do not answer it.
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(mail.Header("X-Auto-Response-Suppress"), "All")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// domain is the domain of an address ("localhost" for none).
func domain(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "localhost"
}

// redact removes secret from s.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, notify.Masked)
}
