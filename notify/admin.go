package notify

import (
	"context"
	"errors"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Paging of List.
const (
	DefaultListMax = 100
	MaxListMax     = 1000
)

// List returns the realm's deliveries matching f, newest first (f.Max
// capped at MaxListMax, DefaultListMax when 0). CodeNotFound for a realm
// that does not exist.
func (s *Service) List(ctx context.Context, realm iam.Realm, f Filter) ([]Delivery, error) {
	const op = "notify.List"
	if _, err := s.realm(ctx, realm); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if f.First < 0 || f.Max < 0 {
		return nil, iam.Wrap(op, iam.Invalidf("first", "first and max must not be negative"))
	}
	if f.Max == 0 {
		f.Max = DefaultListMax
	}
	f.Max = min(f.Max, MaxListMax)
	out, err := s.store.List(ctx, realm, f)
	return out, iam.Wrap(op, err)
}

// Get returns delivery id of realm: CodeNotFound for a missing realm or
// delivery (also one of another realm).
func (s *Service) Get(ctx context.Context, realm iam.Realm, id string) (Delivery, error) {
	const op = "notify.Get"
	if _, err := s.realm(ctx, realm); err != nil {
		return Delivery{}, iam.Wrap(op, err)
	}
	d, err := s.store.Get(ctx, realm, id)
	return d, iam.Wrap(op, err)
}

// Retry sends a failed delivery again: it becomes pending with a fresh set
// of attempts, due now, and the worker is woken. CodeConflict for a
// delivery that is not failed, for an e-mail OTP (codes are never sent
// twice: the user asks for a new one) and for a link that has expired
// (the user or an administrator asks for a new link); CodeNotFound as Get.
func (s *Service) Retry(ctx context.Context, realm iam.Realm, id string) (Delivery, error) {
	const op = "notify.Retry"
	if _, err := s.realm(ctx, realm); err != nil {
		return Delivery{}, iam.Wrap(op, err)
	}
	now := s.timestamp()
	d, err := s.store.Update(ctx, realm, id, func(d *Delivery) error {
		switch {
		case d.Status != StatusFailed:
			return iam.Errorf(iam.CodeConflict, "only failed deliveries are retried; this one is %s", d.Status)
		case d.Kind == KindEmailOTP:
			return iam.Errorf(iam.CodeConflict, "one-time codes are never sent again: the user asks for a new code")
		case d.Kind.hasLink() && (len(d.SealedLink) == 0 || !now.Before(d.Data.ExpiresAt)):
			return iam.Errorf(iam.CodeConflict, "the link of this mail has expired: send a new one")
		}
		d.Status, d.Attempts, d.NextAttemptAt, d.UpdatedAt = StatusPending, 0, now, now
		return nil
	})
	if err != nil {
		return Delivery{}, iam.Wrap(op, err)
	}
	s.nudge()
	return d, nil
}

// TestSMTP sends a test mail (Keycloak's testSMTPConnection) to the calling
// administrator's own address — the principal in ctx must be a user with
// an e-mail address (CodeInvalid, field "email", otherwise) — through
// settings, or the realm's stored smtpServer when settings is nil. A
// settings password equal to realms.SecretMask means the realm's stored
// password. Nothing is recorded in the delivery log. Errors: CodeNotFound
// for a missing realm; CodeInvalid for settings a realm would refuse, or
// none at all; CodeUnavailable, saying the server's answer (without the
// password), when the mail was not accepted.
func (s *Service) TestSMTP(ctx context.Context, realm iam.Realm, settings *realms.SMTP) error {
	const op = "notify.TestSMTP"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	cfg := r.SMTP
	if settings != nil {
		cfg = *settings
		if cfg.Password == realms.SecretMask {
			// The stored password goes only where it is stored for: never
			// to another server or account chosen by the caller.
			if cfg.Host != r.SMTP.Host || cfg.User != r.SMTP.User {
				return iam.Wrap(op, iam.Invalidf("smtpServer.password",
					"the stored password is only used with the stored host and user: give the password to test other settings"))
			}
			cfg.Password = r.SMTP.Password
		}
	}
	if cfg.Host == "" {
		return iam.Wrap(op, iam.Invalidf("smtpServer.host", "there is no SMTP server to test: give smtpServer settings"))
	}
	if err := cfg.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	p := iam.PrincipalFrom(ctx)
	if p == nil {
		return iam.Wrap(op, iam.Errorf(iam.CodeUnauthenticated, "no caller"))
	}
	u, err := s.users.Get(ctx, p.Realm, p.Subject)
	if errors.Is(err, iam.ErrNotFound) || (err == nil && u.Email == "") {
		return iam.Wrap(op, iam.Invalidf("email", "the caller has no e-mail address to send the test mail to"))
	}
	if err != nil {
		return iam.Wrap(op, err)
	}
	if s.smtp == nil {
		return iam.Wrap(op, iam.Errorf(iam.CodeUnavailable, "no SMTP transport is configured"))
	}
	now := s.timestamp()
	d := Delivery{ID: iam.NewID(), Realm: realm, Kind: KindSMTPTest, UserID: u.ID, To: u.Email, CreatedAt: now,
		Data: Data{Locale: locale(u), Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}}
	m, err := s.compose(ctx, r, d, "", "")
	if err != nil {
		return iam.Wrap(op, err)
	}
	sendCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	if err := s.smtp.Send(sendCtx, fromRealm(cfg), m); err != nil {
		reason := failureText(err, cfg.Password)
		s.log.WarnContext(ctx, "notify: test mail not sent", "realm", string(realm), "error", reason)
		return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "the test mail was not sent: " + reason}
	}
	return nil
}

// TemplateView is a kind's templates in a locale as an administrator sees
// them: the realm's override, or the built-in source (Builtin).
type TemplateView struct {
	Template
	Builtin bool
}

// Templates returns the realm's overrides, ordered by kind and locale.
func (s *Service) Templates(ctx context.Context, realm iam.Realm) ([]Template, error) {
	const op = "notify.Templates"
	if _, err := s.realm(ctx, realm); err != nil {
		return nil, iam.Wrap(op, err)
	}
	out, err := s.store.ListTemplates(ctx, realm)
	return out, iam.Wrap(op, err)
}

// Template returns the realm's override of kind in locale or, without
// one, the built-in source (the same for every locale: its words come
// from the message catalogue of the mail's locale through .T). CodeInvalid
// for an unknown kind or malformed locale.
func (s *Service) Template(ctx context.Context, realm iam.Realm, kind, locale string) (TemplateView, error) {
	const op = "notify.Template"
	k, l, err := s.templateKey(ctx, realm, kind, locale)
	if err != nil {
		return TemplateView{}, iam.Wrap(op, err)
	}
	t, err := s.store.GetTemplate(ctx, realm, k, l)
	if errors.Is(err, iam.ErrNotFound) {
		src := s.render.sources[k]
		return TemplateView{Template: Template{Realm: realm, Kind: k, Locale: l, Subject: src.Subject, HTML: src.HTML, Text: src.Text},
			Builtin: true}, nil
	}
	return TemplateView{Template: t}, iam.Wrap(op, err)
}

// PutTemplate stores the realm's override of t.Kind in t.Locale, after
// parsing each part and rendering it with sample data of the kind: a part
// that does not parse or render, ranges over anything but a field, or
// exceeds its size (subject 1 KiB, HTML 64 KiB, text 64 KiB) is
// CodeInvalid naming it ("subject", "html" or "text") with the template
// error. Every part is required. It returns the stored override.
func (s *Service) PutTemplate(ctx context.Context, realm iam.Realm, t Template) (Template, error) {
	const op = "notify.PutTemplate"
	k, l, err := s.templateKey(ctx, realm, string(t.Kind), t.Locale)
	if err != nil {
		return Template{}, iam.Wrap(op, err)
	}
	for part, v := range map[string]string{"subject": t.Subject, "html": t.HTML, "text": t.Text} {
		if strings.TrimSpace(v) == "" {
			return Template{}, iam.Wrap(op, iam.Invalidf(part, "the %s template is required", part))
		}
	}
	parsed, err := parseTemplates(k, TemplateSource{Subject: t.Subject, HTML: t.HTML, Text: t.Text})
	if err != nil {
		return Template{}, iam.Wrap(op, err)
	}
	if _, err := parsed.render(s.sample(k, l)); err != nil {
		return Template{}, iam.Wrap(op, err)
	}
	t.Realm, t.Kind, t.Locale, t.UpdatedAt = realm, k, l, s.timestamp()
	if err := s.store.PutTemplate(ctx, t); err != nil {
		return Template{}, iam.Wrap(op, err)
	}
	return t, nil
}

// DeleteTemplate removes the realm's override of kind in locale:
// CodeNotFound if there is none.
func (s *Service) DeleteTemplate(ctx context.Context, realm iam.Realm, kind, locale string) error {
	const op = "notify.DeleteTemplate"
	k, l, err := s.templateKey(ctx, realm, kind, locale)
	if err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.store.DeleteTemplate(ctx, realm, k, l))
}

// templateKey checks the realm and parses a template's kind and locale.
func (s *Service) templateKey(ctx context.Context, realm iam.Realm, kind, locale string) (Kind, string, error) {
	if _, err := s.realm(ctx, realm); err != nil {
		return "", "", err
	}
	k, err := ParseKind(kind)
	if err != nil {
		return "", "", err
	}
	l, err := ParseLocale(locale)
	return k, l, err
}

// sample is template data of kind with every field set, to try an
// override with.
func (s *Service) sample(kind Kind, locale string) TemplateData {
	d := TemplateData{Kind: string(kind), Realm: "Acme", RealmName: "acme", Lang: locale, Subject: "Subject",
		User: TemplateUser{Username: "alice", FirstName: "Alice", LastName: "Liddell", Email: "alice@example.com"},
		Link: "https://id.example.com/realms/acme/login-actions/verify-email?key=sample", Button: "Button",
		LinkExpiration: "12 hours", Actions: []string{"Update your password"}, Code: "123456",
		Failures: 5, Window: "1 hour", IPAddress: "192.0.2.1", FailedAt: "2025-01-02 03:04 UTC", Rule: "====",
		messages: s.render.messages}
	return d
}
