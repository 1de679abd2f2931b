package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// Run is the delivery worker: it attempts due deliveries whenever an event
// has recorded one (HandleEvent, Retry wake it) and every poll interval,
// until ctx ends; then it returns nil. Replicas may each run it: a
// delivery is claimed by one at a time (Store.Claim). With an instance
// name (WithInstance) it first releases the claims a previous process of
// that name left (Store.ReleaseClaims), before its first claim. Failures
// of the store are logged, reported to ctx's iam.Readiness and retried at
// the next round.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	iam.ReportStarting(ctx)
	released := s.instance == ""
	for {
		var err error
		if !released {
			released, err = s.releaseClaims(ctx)
		}
		if err == nil {
			_, err = s.DeliverDue(ctx)
		}
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "notify: cannot claim due deliveries", "error", err.Error())
			iam.ReportFailing(ctx, err)
		} else {
			iam.ReportReady(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// releaseClaims makes due now what a previous process of this instance
// name had claimed and reports whether it could.
func (s *Service) releaseClaims(ctx context.Context) (bool, error) {
	n, err := s.store.ReleaseClaims(ctx, s.instance, s.timestamp())
	if err != nil {
		return false, err
	}
	if n > 0 {
		s.log.InfoContext(ctx, "notify: took back the deliveries a previous process of this instance had claimed",
			"instance", s.instance, "deliveries", n)
	}
	return true, nil
}

// DeliverDue attempts every delivery due now and returns how many it
// attempted. Each attempt ends in an Update: sent; pending again after a
// backoff (the configured minimum doubling per attempt, up to the
// maximum); or failed once the attempts are used up or the mail can never
// go (its realm is gone, its link has expired). An error means the store
// could not be read; attempts that fail are recorded, not returned.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	total := 0
	for {
		batch, err := s.store.Claim(ctx, s.instance, s.timestamp(), lease, claimBatch)
		if err != nil {
			return total, err
		}
		for _, d := range batch {
			s.attempt(ctx, d)
		}
		total += len(batch)
		if len(batch) < claimBatch || ctx.Err() != nil {
			return total, nil
		}
	}
}

// permanent marks a failure that retrying cannot cure.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// attempt sends d once and records the outcome.
func (s *Service) attempt(ctx context.Context, d Delivery) {
	var secrets []string
	err := func() error {
		r, err := s.realm(ctx, d.Realm)
		if errors.Is(err, iam.ErrNotFound) {
			return permanent{iam.Errorf(iam.CodeNotFound, "realm %s no longer exists", d.Realm)}
		}
		if err != nil {
			return err
		}
		if err := s.refreshRecipient(ctx, &d); err != nil {
			return err
		}
		var link string
		if d.Kind.hasLink() {
			if link, err = s.openLink(d); err != nil {
				return err
			}
			secrets = append(secrets, link, linkKey(link))
		}
		server, transport, err := s.serverFor(r)
		if err != nil {
			return err
		}
		secrets = append(secrets, server.Password)
		m, err := s.compose(ctx, r, d, link, "")
		if err != nil {
			return err
		}
		sendCtx, cancel := context.WithTimeout(ctx, SendTimeout)
		defer cancel()
		return transport.Send(sendCtx, server, m)
	}()
	s.settle(ctx, d, err, secrets)
}

// refreshRecipient reads the user a delivery is for, if any, just before
// it is sent: a user deleted since gets no mail (a permanent failure), and
// the mail is in the user's current locale and names. The address stays
// the delivery's: a link goes to the address it was issued for.
func (s *Service) refreshRecipient(ctx context.Context, d *Delivery) error {
	if d.UserID == "" {
		return nil
	}
	u, ok, err := s.user(ctx, d.Realm, d.UserID)
	switch {
	case err != nil:
		return err
	case !ok:
		return permanent{iam.Errorf(iam.CodeNotFound, "the user no longer exists")}
	}
	d.Data.Locale, d.Data.Username, d.Data.FirstName, d.Data.LastName = locale(u), u.Username, u.FirstName, u.LastName
	return nil
}

// openLink opens d's sealed action link: CodeInternal when there is no link
// key or the link does not open (another deployment key), permanent when
// the link has expired.
func (s *Service) openLink(d Delivery) (string, error) {
	if !d.Data.ExpiresAt.IsZero() && !s.now().Before(d.Data.ExpiresAt) {
		return "", permanent{iam.Errorf(iam.CodeInvalid, "the link expired at %s before the mail could be sent",
			d.Data.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	if len(d.SealedLink) == 0 {
		return "", permanent{iam.Errorf(iam.CodeInvalid, "the delivery has no link (it was sent before)")}
	}
	if s.links == nil {
		return "", iam.Errorf(iam.CodeInternal, "no link key to open the action link with (notify.WithLinkSealer)")
	}
	plain, err := s.links.Open(d.SealedLink, []byte(d.EventID))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// linkKey returns the value of a link's key parameter, "" for none.
func linkKey(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	return u.Query().Get("key")
}

// settle records the outcome of an attempt of d. It outlives ctx's end
// (up to ten seconds), so that a mail sent while the worker stops is not
// sent again.
func (s *Service) settle(ctx context.Context, d Delivery, sendErr error, secrets []string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var reason string
	if sendErr != nil {
		reason = failureText(sendErr, secrets...)
	}
	now := s.timestamp()
	var final Status
	_, err := s.store.Update(ctx, d.Realm, d.ID, func(cur *Delivery) error {
		if cur.Status != StatusPending {
			final = cur.Status
			return nil // settled meanwhile
		}
		cur.UpdatedAt = now
		switch {
		case sendErr == nil:
			cur.Status, cur.SentAt, cur.LastError, cur.NextAttemptAt, cur.SealedLink = StatusSent, now, "", time.Time{}, nil
		case errors.As(sendErr, new(permanent)) || cur.Attempts >= s.maxAttempts:
			cur.Status, cur.LastError, cur.NextAttemptAt = StatusFailed, reason, time.Time{}
		default:
			cur.LastError, cur.NextAttemptAt = reason, now.Add(s.backoff(cur.Attempts))
		}
		final = cur.Status
		return nil
	})
	attrs := []any{"realm", string(d.Realm), "delivery", d.ID, "kind", string(d.Kind), "attempt", d.Attempts}
	switch {
	case err != nil:
		s.log.WarnContext(ctx, "notify: cannot record a delivery attempt", append(attrs, "error", failureText(err, secrets...))...)
	case sendErr == nil:
		s.log.InfoContext(ctx, "notify: mail sent", attrs...)
	default:
		s.log.WarnContext(ctx, "notify: mail not sent", append(attrs, slog.String("status", string(final)), "error", reason)...)
	}
}

// backoff is the wait after the attempts-th failed attempt.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.minBackoff
	for i := 1; i < attempts && d < s.maxBackoff; i++ {
		d *= 2
	}
	return min(d, s.maxBackoff)
}

// maxErrorText bounds a stored or logged failure reason.
const maxErrorText = 500

// failureText is err as the delivery log and the process log show it: one
// line, at most maxErrorText characters, every secret replaced by Masked.
func failureText(err error, secrets ...string) string {
	msg := redact(err.Error(), secrets...)
	// Secrets may also appear escaped in an error that quotes a request.
	for _, sec := range secrets {
		if sec != "" {
			msg = redact(msg, url.QueryEscape(sec), url.PathEscape(sec))
		}
	}
	return truncate(strings.Join(strings.Fields(msg), " "), maxErrorText)
}

// compose renders d for realm r with its link (or code, for an e-mail
// OTP).
func (s *Service) compose(ctx context.Context, r realms.Realm, d Delivery, link, code string) (Message, error) {
	data := TemplateData{
		Kind: string(d.Kind), Realm: displayName(r), RealmName: string(r.Name),
		User: TemplateUser{Username: d.Data.Username, FirstName: d.Data.FirstName, LastName: d.Data.LastName, Email: d.To},
		Code: code, Failures: d.Data.Failures, IPAddress: d.Data.IPAddress,
	}
	switch {
	case link != "":
		data.Link = link
	case d.Kind == KindWelcome:
		data.Link = s.public + "/realms/" + url.PathEscape(string(r.Name)) + "/account"
	case d.Kind == KindLoginAlert:
		data.Link = s.public + "/realms/" + url.PathEscape(string(r.Name)) + users.ResetPath
	}
	t, lang, err := s.templates(ctx, r.Name, d.Kind, d.Data.Locale)
	if err != nil {
		return Message{}, err
	}
	c := s.render.messages
	data.Lang, data.messages = lang, c
	if data.Link != "" {
		data.Button = data.T(string(d.Kind) + ".button")
	}
	if !d.Data.ExpiresAt.IsZero() {
		data.LinkExpiration = c.duration(lang, d.Data.ExpiresAt.Sub(s.now()))
	}
	if d.Kind == KindLoginAlert {
		data.Window = c.duration(lang, d.Data.Window)
		data.FailedAt = d.Data.FailedAt.UTC().Format("2006-01-02 15:04 UTC")
		if data.IPAddress == "" {
			data.IPAddress = data.T("unknownAddress")
		}
	}
	for _, a := range d.Data.Actions {
		data.Actions = append(data.Actions, data.T("action."+a))
	}
	data.Rule = strings.Repeat("=", min(max(len([]rune(data.Realm)), 3), 72))
	out, err := t.render(data)
	if err != nil {
		return Message{}, err
	}
	m := Message{ID: d.ID, Kind: d.Kind, To: d.To, ToName: data.User.DisplayName(), Subject: out.subject,
		HTML: out.html, Text: out.text, Link: data.Link}
	if code != "" {
		m.Secrets = []string{code}
	}
	return m, nil
}

// templates returns the templates of kind for a user's locale and the
// locale they are written in: the realm's override in the user's locale
// or its language, else the built-in translation of it, else the realm's
// English override, else the built-in English.
func (s *Service) templates(ctx context.Context, realm iam.Realm, kind Kind, userLocale string) (mailTemplates, string, error) {
	chain := LocaleChain(userLocale)
	for _, l := range chain {
		if t, ok, err := s.override(ctx, realm, kind, l); err != nil || ok {
			return t, l, err
		}
		if s.render.messages.byLocale[l] != nil {
			return s.render.builtin[kind], l, nil
		}
	}
	if t, ok, err := s.override(ctx, realm, kind, DefaultLocale); err != nil || ok {
		return t, DefaultLocale, err
	}
	return s.render.builtin[kind], DefaultLocale, nil
}

// override returns the realm's parsed override of kind in locale, if any.
func (s *Service) override(ctx context.Context, realm iam.Realm, kind Kind, locale string) (mailTemplates, bool, error) {
	o, err := s.store.GetTemplate(ctx, realm, kind, locale)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		return mailTemplates{}, false, nil
	case err != nil:
		return mailTemplates{}, false, err
	}
	t, err := parseTemplates(kind, TemplateSource{Subject: o.Subject, HTML: o.HTML, Text: o.Text})
	return t, true, err
}

// displayName is the realm's display name, else its name.
func displayName(r realms.Realm) string {
	if n := strings.TrimSpace(r.DisplayName); n != "" {
		return n
	}
	return string(r.Name)
}
