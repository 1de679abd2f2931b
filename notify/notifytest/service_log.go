package notifytest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

func testRedelivery(t *testing.T, e *Env) {
	e.User(t, users.User{Username: "dup", Email: "dup@example.com"})
	if err := e.Users.RequestPasswordReset(ctx(t), "acme", "dup"); err != nil {
		t.Fatal(err)
	}
	reset := e.Last(t, iam.TopicUserPasswordResetRequested)
	e.Pump(t)
	for range 3 { // the bus delivers at least once
		if err := e.Svc.HandleEvent(ctx(t), reset); err != nil {
			t.Fatal(err)
		}
		e.Deliver(t)
	}
	// A second replica with its own Service over the same store too.
	if err := e.Service(t).HandleEvent(ctx(t), reset); err != nil {
		t.Fatal(err)
	}
	e.Deliver(t)
	e.Mails(t, 2) // the welcome and one reset
	if d := e.Deliveries(t, notify.Filter{Kind: notify.KindPasswordReset}); len(d) != 1 {
		t.Fatalf("%d reset deliveries", len(d))
	}
}

func testRetries(t *testing.T, e *Env) {
	e.SMTP.Refuse(451, "try again later")
	e.User(t, users.User{Username: "ret", Email: "ret@example.com"})
	e.Pump(t)
	d := e.Deliveries(t, notify.Filter{})[0]
	if d.Status != notify.StatusPending || d.Attempts != 1 || !strings.Contains(d.LastError, "try again later") ||
		!d.NextAttemptAt.Equal(e.Clock.Now().Add(time.Minute)) {
		t.Fatalf("after a refusal: %+v, want pending, retried in 1 minute", d)
	}
	e.Clock.Advance(59 * time.Second)
	if n := e.Deliver(t); n != 0 {
		t.Fatalf("attempted %d before the backoff ended", n)
	}
	e.Clock.Advance(time.Second)
	e.Deliver(t)
	d = e.Deliveries(t, notify.Filter{})[0]
	if d.Attempts != 2 || !d.NextAttemptAt.Equal(e.Clock.Now().Add(2*time.Minute)) {
		t.Fatalf("after the second refusal: %+v, want retried in 2 minutes (doubled)", d)
	}
	e.Clock.Advance(2 * time.Minute)
	e.Deliver(t)
	d = e.Deliveries(t, notify.Filter{})[0]
	if d.Status != notify.StatusFailed || d.Attempts != 3 || !d.NextAttemptAt.IsZero() || e.SMTP.Attempts() != 3 {
		t.Fatalf("after 3 of 3 attempts: %+v, %d offered; want failed", d, e.SMTP.Attempts())
	}
	e.Clock.Advance(time.Hour)
	if n := e.Deliver(t); n != 0 || e.SMTP.Attempts() != 3 {
		t.Fatalf("a failed delivery was attempted again")
	}
	if got, _ := e.Svc.List(ctx(t), "acme", notify.Filter{Status: notify.StatusFailed}); len(got) != 1 {
		t.Fatalf("status=failed lists %d", len(got))
	}
}

func testAdminRetry(t *testing.T, e *Env) {
	e.SMTP.Refuse(554, "mailbox unavailable")
	u := e.User(t, users.User{Username: "adm", Email: "adm@example.com"})
	if err := e.Users.SendVerifyEmail(ctx(t), "acme", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	for range 2 {
		e.Clock.Advance(10 * time.Minute)
		e.Deliver(t)
	}
	failed := e.Deliveries(t, notify.Filter{Status: notify.StatusFailed})
	if len(failed) != 2 {
		t.Fatalf("%d failed deliveries, want the welcome and the verification", len(failed))
	}
	_, err := e.Svc.Retry(ctx(t), "acme", failed[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	e.SMTP.Accept()
	e.Deliver(t)
	got, _ := e.Svc.Get(ctx(t), "acme", failed[0].ID)
	if got.Status != notify.StatusSent || got.Attempts != 1 || got.LastError != "" || len(e.SMTP.Messages()) != 1 {
		t.Fatalf("after the retry: %+v", got)
	}
	for _, tt := range []struct {
		name  string
		realm iam.Realm
		id    string
		code  iam.Code
	}{
		{"SentIsConflict", "acme", failed[0].ID, iam.CodeConflict},
		{"OtherRealmIsNotFound", "beta", failed[1].ID, iam.CodeNotFound},
		{"MissingIsNotFound", "acme", iam.NewID(), iam.CodeNotFound},
		{"MissingRealmIsNotFound", "nowhere", failed[1].ID, iam.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.Svc.Retry(ctx(t), tt.realm, tt.id); iam.ErrorCode(err) != tt.code {
				t.Fatalf("Retry = %v, want %s", err, tt.code)
			}
		})
	}
}

func testExpiredLink(t *testing.T, e *Env) {
	e.SMTP.Refuse(451, "later")
	e.User(t, users.User{Username: "late", Email: "late@example.com"})
	if err := e.Users.RequestPasswordReset(ctx(t), "acme", "late"); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	e.SMTP.Accept()
	e.Clock.Advance(31 * time.Minute) // the reset link lives 30 minutes
	e.Deliver(t)
	d := e.Deliveries(t, notify.Filter{Kind: notify.KindPasswordReset})[0]
	if d.Status != notify.StatusFailed || !strings.Contains(d.LastError, "link expired") {
		t.Fatalf("an expired link: %+v, want failed saying so", d)
	}
	for _, m := range e.SMTP.Messages() {
		if strings.Contains(m.Text, "reset-credentials?key=") {
			t.Fatal("an expired link was mailed")
		}
	}
	if _, err := e.Svc.Retry(ctx(t), "acme", d.ID); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("Retry of an expired link = %v, want conflict", err)
	}
}

func testAlerts(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "victim", Email: "victim@example.com"})
	e.Pump(t)
	fail := func(reason string) {
		t.Helper()
		if err := e.Svc.HandleEvent(ctx(t), e.LoginFailure(t, u.ID, reason)); err != nil {
			t.Fatal(err)
		}
		e.Deliver(t)
	}
	alerts := func() int { return len(e.Deliveries(t, notify.Filter{Kind: notify.KindLoginAlert})) }
	fail(auth.ReasonInvalidCredentials)
	fail(auth.ReasonUserNotFound) // does not count
	fail(auth.ReasonInvalidCredentials)
	if alerts() != 0 {
		t.Fatal("alerted below the threshold of 3")
	}
	fail(auth.ReasonUserTemporarilyDisabled) // the third: counts
	if alerts() != 1 {
		t.Fatalf("%d alerts at the threshold, want 1", alerts())
	}
	m := e.Mails(t, 2)[1]
	if m.Subject() != "Failed sign-in attempts on your Acme Corp account" ||
		!strings.Contains(m.Text, "There were 3 failed attempts to sign in to your Acme Corp account within 10 minutes.") ||
		!strings.Contains(m.Text, "The last one came from 198.51.100.7") ||
		!strings.Contains(m.Text, "https://id.acme.test/realms/acme/login-actions/reset-credentials") {
		t.Fatalf("alert %q:\n%s", m.Subject(), m.Text)
	}
	for range 5 {
		e.Clock.Advance(time.Minute)
		fail(auth.ReasonInvalidCredentials)
	}
	if alerts() != 1 {
		t.Fatalf("%d alerts within one window, want 1", alerts())
	}
	e.Clock.Advance(10 * time.Minute) // the window (600 s) has passed
	for range 3 {
		fail(auth.ReasonInvalidCredentials)
	}
	if alerts() != 2 {
		t.Fatalf("%d alerts after a new window reached the threshold, want 2", alerts())
	}
	t.Run("RedeliveredFailuresCountOnce", func(t *testing.T) {
		other := e.User(t, users.User{Username: "calm", Email: "calm@example.com"})
		ev := e.LoginFailure(t, other.ID, auth.ReasonInvalidCredentials)
		for range 5 {
			if err := e.Svc.HandleEvent(ctx(t), ev); err != nil {
				t.Fatal(err)
			}
		}
		e.Deliver(t)
		for _, d := range e.Deliveries(t, notify.Filter{UserID: other.ID}) {
			if d.Kind == notify.KindLoginAlert {
				t.Fatal("one failure delivered five times alerted")
			}
		}
	})
	t.Run("OffWithoutAThreshold", func(t *testing.T) {
		b, err := e.Users.Create(ctx(t), "beta", users.User{Username: "b", Email: "b@example.com", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			ev := e.LoginFailure(t, b.ID, auth.ReasonInvalidCredentials)
			ev.Realm = "beta"
			if err := e.Svc.HandleEvent(ctx(t), ev); err != nil {
				t.Fatal(err)
			}
		}
		if d, _ := e.Svc.List(ctx(t), "beta", notify.Filter{Kind: notify.KindLoginAlert}); len(d) != 0 {
			t.Fatalf("beta (no %s) alerted: %+v", notify.AttrAlertThreshold, d)
		}
	})
}

func testOTP(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "otto", Email: "otto@example.com", Attributes: map[string][]string{"locale": {"de"}}})
	const code = "482915"
	var sender mfa.Sender = e.Svc
	err := sender.SendOTP(ctx(t), mfa.Message{Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "otto@example.com",
		Code: code, ExpiresAt: e.Clock.Now().Add(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	m := e.SMTP.Messages()[0]
	if m.Subject() != "Ihr Anmeldecode für Acme Corp" || !strings.Contains(m.Text, "    "+code) ||
		!strings.Contains(m.Text, "5 Minuten") || !strings.Contains(m.HTML, code) {
		t.Fatalf("code mail %q:\n%s", m.Subject(), m.Text)
	}
	d := e.Deliveries(t, notify.Filter{Kind: notify.KindEmailOTP})
	if len(d) != 1 || d[0].Status != notify.StatusSent || d[0].UserID != u.ID {
		t.Fatalf("delivery log = %+v", d)
	}
	if strings.Contains(e.h.Dump(t), code) || strings.Contains(e.Log.String(), code) {
		t.Fatal("the code is in the store or the log")
	}
	if _, err := e.Svc.Retry(ctx(t), "acme", d[0].ID); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("Retry of a code = %v, want conflict", err)
	}
	t.Run("AFailedSendIsUnavailableAndNeverRetried", func(t *testing.T) {
		e.SMTP.Refuse(554, "rejected "+code)
		err := sender.SendOTP(ctx(t), mfa.Message{Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "otto@example.com", Code: code,
			ExpiresAt: e.Clock.Now().Add(5 * time.Minute)})
		if iam.ErrorCode(err) != iam.CodeUnavailable || strings.Contains(err.Error(), code) {
			t.Fatalf("SendOTP to a refusing server = %v", err)
		}
		failed := e.Deliveries(t, notify.Filter{Kind: notify.KindEmailOTP, Status: notify.StatusFailed})
		if len(failed) != 1 || strings.Contains(failed[0].LastError, code) || !strings.Contains(failed[0].LastError, "rejected") {
			t.Fatalf("failed code deliveries = %+v", failed)
		}
		e.Clock.Advance(time.Hour)
		if n := e.Deliver(t); n != 0 {
			t.Fatal("the worker attempted a code mail")
		}
	})
	t.Run("BadMessages", func(t *testing.T) {
		for name, m := range map[string]mfa.Message{
			"NoCode":         {Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "otto@example.com"},
			"NoAddress":      {Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, Code: code},
			"OtherChannel":   {Realm: "acme", UserID: u.ID, Channel: "sms", To: "otto@example.com", Code: code},
			"MalformedRealm": {Realm: "Not a realm!", UserID: u.ID, Channel: mfa.ChannelEmail, To: "otto@example.com", Code: code},
		} {
			if err := sender.SendOTP(ctx(t), m); iam.ErrorCode(err) != iam.CodeInvalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		err := sender.SendOTP(ctx(t), mfa.Message{Realm: "acme", UserID: iam.NewID(), Channel: mfa.ChannelEmail, To: "x@example.com", Code: code})
		if iam.ErrorCode(err) != iam.CodeNotFound {
			t.Errorf("unknown user: %v, want not found", err)
		}
	})
}

// testNoSecrets runs every kind of mail, failures included, and looks for
// each secret in what the store keeps and in the process log.
func testNoSecrets(t *testing.T, e *Env) {
	u := e.User(t, users.User{Username: "sec", Email: "sec@example.com"})
	e.Pump(t)
	if err := e.Users.SendVerifyEmail(ctx(t), "acme", u.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.Users.RequestPasswordReset(ctx(t), "acme", "sec"); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	const code = "739104"
	if err := e.Svc.SendOTP(ctx(t), mfa.Message{Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "sec@example.com",
		Code: code, ExpiresAt: e.Clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// A server that echoes a wrong password, while a link is pending.
	if err := e.Users.ExecuteActionsEmail(ctx(t), "acme", u.ID, []string{users.ActionUpdatePassword}, 0); err != nil {
		t.Fatal(err)
	}
	e.SMTP.FailAuthWith("535 you sent " + smtpPassword + "-old")
	if _, err := e.Realms.Update(ctx(t), "acme", realms.Update{SMTP: &realms.SMTP{Host: e.SMTP.Host, Port: e.SMTP.Port,
		From: "noreply@acme.test", User: "mailer", Password: smtpPassword + "-old", StartTLS: true}}); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	secrets := []string{smtpPassword, code, "Passw0rd-of-a-test"}
	for _, m := range e.SMTP.Messages() {
		if strings.Contains(m.Text, "?key=") {
			secrets = append(secrets, LinkKey(t, m, m.Text[strings.Index(m.Text, "https://"):strings.Index(m.Text, "?key=")]))
		}
	}
	for _, topic := range []string{iam.TopicUserVerifyEmailRequested, iam.TopicUserPasswordResetRequested} {
		_, link, err := users.OpenActionLink(e.Links, e.Last(t, topic))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, link, link[strings.Index(link, "key=")+4:])
	}
	if len(secrets) < 7 {
		t.Fatalf("collected %d secrets, want the password, the code and the links' keys", len(secrets))
	}
	failed := e.Deliveries(t, notify.Filter{Kind: notify.KindExecuteActions})
	if len(failed) != 1 || !strings.Contains(failed[0].LastError, notify.Masked) {
		t.Fatalf("the echoed password was not masked in the delivery log: %+v", failed)
	}
	dump, log := e.h.Dump(t), e.Log.String()
	if !strings.Contains(log, "notify: mail sent") || len(dump) < 100 {
		t.Fatalf("nothing to scan: log %d bytes, store %d bytes", len(log), len(dump))
	}
	for _, s := range secrets {
		if strings.Contains(dump, s) {
			t.Errorf("the store keeps %q", s)
		}
		if strings.Contains(log, s) {
			t.Errorf("the log shows %q", s)
		}
	}
}

// testLeakyTransport checks the Service's own masking: a transport whose
// errors quote the password, the link and the code it was given.
func testLeakyTransport(t *testing.T, e *Env) {
	leaky := notify.TransportFunc(func(_ context.Context, server notify.Server, m notify.Message) error {
		return fmt.Errorf("refused %s with password %s, link %s, escaped %s, secrets %v",
			m.Text, server.Password, m.Link, url.QueryEscape(m.Link), m.Secrets)
	})
	svc := e.Service(t, notify.WithTransport(leaky))
	u := e.User(t, users.User{Username: "leak", Email: "leak@example.com"})
	if err := e.Users.RequestPasswordReset(ctx(t), "acme", "leak"); err != nil {
		t.Fatal(err)
	}
	_, link, err := users.OpenActionLink(e.Links, e.Last(t, iam.TopicUserPasswordResetRequested))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range e.Events.Events(t) {
		if err := svc.HandleEvent(ctx(t), ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.DeliverDue(ctx(t)); err != nil {
		t.Fatal(err)
	}
	const code = "550123"
	err = svc.SendOTP(ctx(t), mfa.Message{Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "leak@example.com",
		Code: code, ExpiresAt: e.Clock.Now().Add(time.Minute)})
	if iam.ErrorCode(err) != iam.CodeUnavailable || strings.Contains(err.Error(), code) {
		t.Fatalf("SendOTP through a leaky transport = %v", err)
	}
	list := e.Deliveries(t, notify.Filter{})
	if len(list) != 3 {
		t.Fatalf("%d deliveries, want the welcome, the reset and the code", len(list))
	}
	for _, d := range list {
		if !strings.Contains(d.LastError, notify.Masked) {
			t.Fatalf("%s: nothing masked in %q", d.Kind, d.LastError)
		}
	}
	dump, log := e.h.Dump(t), e.Log.String()
	for _, s := range []string{smtpPassword, link, link[strings.Index(link, "key=")+4:], code} {
		if strings.Contains(dump, s) || strings.Contains(log, s) {
			t.Errorf("%q reached the store or the log", s)
		}
	}
}

func testNoServer(t *testing.T, e *Env) {
	if _, err := e.Users.Create(ctx(t), "beta", users.User{Username: "b", Email: "b@example.com", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	e.Pump(t)
	d, _ := e.Svc.List(ctx(t), "beta", notify.Filter{})
	if len(d) != 1 || d[0].Status != notify.StatusPending || !strings.Contains(d[0].LastError, "no SMTP server") {
		t.Fatalf("beta (no smtpServer, no default) = %+v", d)
	}
	t.Run("TheDefaultServerServesRealmsWithout", func(t *testing.T) {
		svc := e.Service(t, notify.WithDefaultServer(e.SMTP.Server("id@example.com", true)))
		e.Clock.Advance(time.Hour)
		if _, err := svc.DeliverDue(ctx(t)); err != nil {
			t.Fatal(err)
		}
		m := e.Mails(t, 1)[0]
		if m.Address("From").Address != "id@example.com" || m.Subject() != "Welcome to beta" {
			t.Fatalf("mail through the default server: %q from %v", m.Subject(), m.Address("From"))
		}
	})
	t.Run("TheFallbackLogsTheMailWithItsLink", func(t *testing.T) {
		log := &SyncBuffer{}
		svc := e.Service(t, notify.WithFallback(notify.LogTransport{Log: slogTo(log)}))
		u, err := e.Users.Create(ctx(t), "beta", users.User{Username: "c", Email: "c@example.com", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Users.SendVerifyEmail(ctx(t), "beta", u.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, link, _ := users.OpenActionLink(e.Links, e.Last(t, iam.TopicUserVerifyEmailRequested))
		if err := svc.HandleEvent(ctx(t), e.Last(t, iam.TopicUserVerifyEmailRequested)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeliverDue(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if out := log.String(); !strings.Contains(out, link) || !strings.Contains(out, "c@example.com") || strings.Contains(out, smtpPassword) {
			t.Fatalf("the log transport wrote %s", out)
		}
	})
}

func testSMTPTest(t *testing.T, e *Env) {
	admin := e.User(t, users.User{Username: "boss", Email: "boss@example.com"})
	as := iam.WithPrincipal(ctx(t), &iam.Principal{Subject: admin.ID, Realm: "acme"})
	if err := e.Svc.TestSMTP(as, "acme", nil); err != nil {
		t.Fatal(err)
	}
	m := e.Mails(t, 1)[0]
	if m.Subject() != "Test message from Acme Corp" || strings.Join(m.To, ",") != "boss@example.com" {
		t.Fatalf("test mail %q to %v", m.Subject(), m.To)
	}
	if d := e.Deliveries(t, notify.Filter{}); len(d) != 0 {
		t.Fatalf("the test mail is in the delivery log: %+v", d)
	}
	masked := &realms.SMTP{Host: e.SMTP.Host, Port: e.SMTP.Port, From: "other@acme.test", User: "mailer", Password: realms.SecretMask, StartTLS: true}
	if err := e.Svc.TestSMTP(as, "acme", masked); err != nil {
		t.Fatalf("the stored password behind the mask: %v", err)
	}
	for _, tt := range []struct {
		name     string
		settings *realms.SMTP
		as       string
		code     iam.Code
		field    string
	}{
		{"TheMaskNeverGoesToAnotherHost", &realms.SMTP{Host: "mail.attacker.test", From: "a@acme.test", User: "mailer", Password: realms.SecretMask, StartTLS: true},
			admin.ID, iam.CodeInvalid, "smtpServer.password"},
		{"WrongPassword", &realms.SMTP{Host: e.SMTP.Host, Port: e.SMTP.Port, From: "a@acme.test", User: "mailer", Password: "nope", StartTLS: true},
			admin.ID, iam.CodeUnavailable, ""},
		{"InvalidSettings", &realms.SMTP{Host: "mx", From: "not an address"}, admin.ID, iam.CodeInvalid, "smtpServer.from"},
		{"CallerWithoutAddress", nil, e.User(t, users.User{Username: "nomail"}).ID, iam.CodeInvalid, "email"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			as := iam.WithPrincipal(ctx(t), &iam.Principal{Subject: tt.as, Realm: "acme"})
			err := e.Svc.TestSMTP(as, "acme", tt.settings)
			if iam.ErrorCode(err) != tt.code || (tt.field != "" && iam.ErrorField(err) != tt.field) {
				t.Fatalf("TestSMTP = %v, want %s %s", err, tt.code, tt.field)
			}
		})
	}
	if err := e.Svc.TestSMTP(as, "beta", nil); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("a realm without smtpServer = %v, want invalid", err)
	}
}

func testRealmDeleted(t *testing.T, e *Env) {
	e.User(t, users.User{Username: "gone", Email: "gone@example.com"})
	e.Pump(t)
	ev, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	if err := e.Svc.HandleEvent(ctx(t), ev); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.h.Store.List(ctx(t), "acme", notify.Filter{}); len(list) != 0 {
		t.Fatalf("acme's deliveries survive its deletion: %d", len(list))
	}
}

func testRetention(t *testing.T, e *Env) {
	svc := e.Service(t, notify.WithRetention(24*time.Hour))
	handle := func() {
		t.Helper()
		all := e.Events.Events(t)
		if err := svc.HandleEvent(ctx(t), all[len(all)-1]); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeliverDue(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	e.User(t, users.User{Username: "first", Email: "first@example.com"})
	handle()
	e.Clock.Advance(25 * time.Hour)
	e.User(t, users.User{Username: "second", Email: "second@example.com"})
	handle()
	list := e.Deliveries(t, notify.Filter{})
	if len(list) != 1 || list[0].To != "second@example.com" {
		t.Fatalf("after the retention the log holds %d deliveries, want only the new one", len(list))
	}
}
