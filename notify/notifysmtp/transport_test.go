package notifysmtp_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifysmtp"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

func message() notify.Message {
	return notify.Message{ID: "0190f3a2-delivery", Kind: notify.KindWelcome, To: "alice@example.com", ToName: "Älice Liddell",
		Subject: "Willkommen bei Ácme", Text: "Hello Älice,\nhttps://id.example.com/x?key=abc", HTML: "<p>Hello Älice</p>"}
}

func trusting(s *notifytest.SMTPServer) *notifysmtp.Transport {
	return notifysmtp.New(notifysmtp.WithTLSConfig(&tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}),
		notifysmtp.WithTimeout(5*time.Second))
}

func TestSendWritesAFinishedMessage(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	server := srv.Server("noreply@acme.test", false)
	server.FromName, server.ReplyTo, server.ReplyToName, server.EnvelopeFrom = "Ácme Login", "help@acme.test", "Acme Help", "bounces@acme.test"
	if err := trusting(srv).Send(t.Context(), server, message()); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages received", len(got))
	}
	m := got[0]
	checks := []struct {
		name      string
		got, want string
	}{
		{"EnvelopeFrom", m.From, "bounces@acme.test"},
		{"EnvelopeTo", strings.Join(m.To, ","), "alice@example.com"},
		{"From", m.Address("From").String(), `=?utf-8?q?=C3=81cme_Login?= <noreply@acme.test>`},
		{"To", m.Address("To").Address + "|" + m.Address("To").Name, "alice@example.com|Älice Liddell"},
		{"ReplyTo", m.Address("Reply-To").Address, "help@acme.test"},
		{"Subject", m.Subject(), "Willkommen bei Ácme"},
		{"MessageID", m.Header.Get("Message-Id"), "<0190f3a2-delivery@acme.test>"},
		{"AutoSubmitted", m.Header.Get("Auto-Submitted"), "auto-generated"},
		{"Text", m.Text, "Hello Älice,\r\nhttps://id.example.com/x?key=abc"},
		{"HTML", m.HTML, "<p>Hello Älice</p>"},
	}
	for _, c := range checks {
		if c.got != c.want && !(c.name == "Text" && strings.ReplaceAll(c.got, "\r\n", "\n") == strings.ReplaceAll(c.want, "\r\n", "\n")) {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if d, err := m.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %v, %v", d, err)
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
}

func TestSendAuthenticatesOverSTARTTLS(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.WithAuth("mailer", "smtp-pass-0123"))
	if err := trusting(srv).Send(t.Context(), srv.Server("noreply@acme.test", true), message()); err != nil {
		t.Fatal(err)
	}
	if logins := srv.Logins(); len(logins) != 1 || logins[0] != "mailer" || len(srv.Messages()) != 1 {
		t.Fatalf("logins %v, %d messages", logins, len(srv.Messages()))
	}
	t.Run("AnUntrustedCertificateIsRefused", func(t *testing.T) {
		err := notifysmtp.New(notifysmtp.WithTimeout(5*time.Second)).Send(t.Context(), srv.Server("noreply@acme.test", true), message())
		if iam.ErrorCode(err) != iam.CodeUnavailable || len(srv.Messages()) != 1 {
			t.Fatalf("Send with the system roots = %v", err)
		}
	})
}

func TestSendErrors(t *testing.T) {
	const password = "smtp-pass-0123"
	srv := notifytest.NewSMTPServer(t, notifytest.WithAuth("mailer", password))
	tests := []struct {
		name   string
		setup  func()
		server notify.Server
		code   iam.Code
		says   string
	}{
		{"WrongPasswordEchoedByTheServer", func() { srv.FailAuthWith("bad credentials: " + password + "x") },
			func() notify.Server { s := srv.Server("noreply@acme.test", true); s.Password += "x"; return s }(),
			iam.CodeUnavailable, "bad credentials"},
		{"RefusedMessage", func() { srv.Refuse(554, "no thanks") }, srv.Server("noreply@acme.test", true),
			iam.CodeUnavailable, "no thanks"},
		{"PasswordWithoutTLS", nil, srv.Server("noreply@acme.test", false), iam.CodeInvalid, "only sent over TLS"},
		{"NoServerListening", nil, notify.Server{Host: "127.0.0.1", Port: 1, From: "noreply@acme.test"}, iam.CodeUnavailable, "127.0.0.1:1"},
		{"MalformedFrom", nil, srv.Server("not an address", true), iam.CodeInvalid, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			err := trusting(srv).Send(t.Context(), tt.server, message())
			if iam.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("Send = %v, want %s saying %q", err, tt.code, tt.says)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("the error carries the password: %v", err)
			}
		})
	}
}

// waitHeld waits until srv keeps n senders waiting.
func waitHeld(t *testing.T, srv *notifytest.SMTPServer, n int) {
	t.Helper()
	for srv.Held() != n {
		select {
		case <-t.Context().Done():
			t.Fatalf("%d senders held, want %d", srv.Held(), n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// The test server's Hold keeps a sender before its message: one that gives
// up meanwhile (as a killed process) delivers nothing, one released sends.
func TestAHeldSenderSendsNothingUntilReleased(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	server := srv.Server("noreply@acme.test", false)
	srv.Hold()
	// The first sender closes its connection after its timeout, as a
	// killed process's is closed.
	impatient := notifysmtp.New(notifysmtp.WithTimeout(200 * time.Millisecond))
	if err := impatient.Send(t.Context(), server, message()); err == nil {
		t.Fatal("a sender that gave up while held reports success")
	}
	sent := make(chan error, 1)
	go func() { sent <- trusting(srv).Send(t.Context(), server, message()) }()
	waitHeld(t, srv, 2) // the first one's session is still held
	if got := srv.Messages(); len(got) != 0 {
		t.Fatalf("%d messages received while holding", len(got))
	}
	srv.Release()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	waitHeld(t, srv, 0)
	if got := srv.Messages(); len(got) != 1 {
		t.Fatalf("%d messages received, want the released sender's only", len(got))
	}
}
