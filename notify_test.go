package opengate_test

import (
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifysmtp"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

// mailed waits until the SMTP server has received a mail whose subject is
// subject and returns it.
func mailed(t *testing.T, srv *notifytest.SMTPServer, subject string) notifytest.Received {
	t.Helper()
	var found notifytest.Received
	eventually(t, "a mail "+subject, func() bool {
		for _, m := range srv.Messages() {
			if m.Subject() == subject {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// keyOf returns the key of the link to path in a mail's text.
func keyOf(t *testing.T, m notifytest.Received, path string) string {
	t.Helper()
	i := strings.Index(m.Text, path+"?key=")
	if i < 0 {
		t.Fatalf("no link to %s in %q", path, m.Text)
	}
	return strings.Fields(m.Text[i+len(path)+len("?key="):])[0]
}

// An embedded Server mails through Config.SMTP: the welcome of a user made
// through the admin API, a reset link that resets the password, an alert
// after the realm's threshold of failed sign-ins — and lists them in the
// delivery log of the admin API. In memory and on PostgreSQL.
func TestTheEmbeddedServerSendsMail(t *testing.T) {
	for name, config := range map[string]func(*testing.T) opengate.Config{
		"Memory":   func(*testing.T) opengate.Config { return opengate.Config{} },
		"Postgres": postgresConfig,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			smtp := notifytest.NewSMTPServer(t, notifytest.WithAuth("mailer", "smtp-pass-0123"))
			cfg := config(t)
			server := smtp.Server("id@acme.test", true)
			cfg.SMTP = &server
			cfg.Options.Notify = []notify.Option{notify.WithTransport(notifysmtp.New(
				notifysmtp.WithTLSConfig(&tls.Config{RootCAs: smtp.RootCAs, MinVersion: tls.VersionTLS12})))}
			e := embed(t, cfg)
			admin := e.token(t, "master", "admin", adminPassword)
			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","displayName":"Acme","enabled":true,"mfaPolicy":"optional",
				"attributes":{"loginFailureAlertThreshold":"3","loginFailureAlertWindowSeconds":"900"}}`)
			eventually(t, "acme's admin-cli", func() bool {
				status, _ := e.call(t, "GET", "/admin/realms/acme/clients?clientId=admin-cli", admin, "")
				return status == 200
			})
			e.must(t, 201, "POST", "/admin/realms/acme/users", admin, `{"username":"alice","email":"alice@example.com",
				"firstName":"Alice","enabled":true,"credentials":[{"type":"password","value":"Alice-passw0rd-1"}]}`)

			welcome := mailed(t, smtp, "Welcome to Acme")
			if welcome.To[0] != "alice@example.com" || welcome.Address("From").Address != "id@acme.test" ||
				!strings.Contains(welcome.Text, e.URL+"/realms/acme/account") {
				t.Fatalf("welcome to %v from %v:\n%s", welcome.To, welcome.Address("From"), welcome.Text)
			}

			e.must(t, 200, "POST", "/realms/acme/login-actions/reset-credentials", "", `{"username":"alice"}`)
			reset := mailed(t, smtp, "Reset your Acme password")
			key := keyOf(t, reset, e.URL+"/realms/acme/login-actions/reset-credentials")
			e.must(t, 204, "POST", "/realms/acme/login-actions/reset-credentials/complete", "",
				`{"key":"`+key+`","password":"Alice-new-passw0rd-2"}`)
			e.token(t, "acme", "alice", "Alice-new-passw0rd-2")

			for range 3 {
				resp, err := http.PostForm(e.URL+"/realms/acme/protocol/openid-connect/token", url.Values{
					"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"alice"}, "password": {"wrong"}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			alert := mailed(t, smtp, "Failed sign-in attempts on your Acme account")
			if !strings.Contains(alert.Text, "There were 3 failed attempts") {
				t.Fatalf("alert:\n%s", alert.Text)
			}

			// The MFA service's email codes go through the notify service.
			var log []struct{ Kind, Status, UserID string }
			eventually(t, "three sent deliveries", func() bool {
				body := e.must(t, 200, "GET", "/admin/realms/acme/notifications?status=sent", admin, "")
				return json.Unmarshal([]byte(body), &log) == nil && len(log) == 3
			})
			if err := e.MFA.SendEmailOTP(t.Context(), "acme", log[0].UserID, "alice@example.com"); err != nil {
				t.Fatal(err)
			}
			code := mailed(t, smtp, "Your Acme sign-in code")
			digits := regexp.MustCompile(`(?m)^    (\d{6})\r?$`).FindStringSubmatch(code.Text)
			if digits == nil {
				t.Fatalf("no code in:\n%s", code.Text)
			}
			if method, err := e.MFA.Verify(t.Context(), "acme", log[0].UserID, digits[1]); err != nil {
				t.Fatalf("the mailed code %q: %s, %v", digits[1], method, err)
			}
			body := e.must(t, 200, "GET", "/admin/realms/acme/notifications?status=sent", admin, "")
			if err := json.Unmarshal([]byte(body), &log); err != nil || len(log) != 4 || log[0].Kind != "email-otp" ||
				log[1].Kind != "login-failure-alert" || log[3].Kind != "welcome" || strings.Contains(body, digits[1]) {
				t.Fatalf("delivery log = %s", body)
			}
		})
	}
}

// Without Config.SMTP the quickstart's mail is written to the log, with a
// link that works.
func TestWithoutSMTPMailIsLogged(t *testing.T) {
	buf := &notifytest.SyncBuffer{}
	e := embed(t, opengate.Config{Logger: slog.New(slog.NewTextHandler(buf, nil))})
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms/master/users", admin,
		`{"username":"vera","email":"vera@example.com","enabled":true,"requiredActions":["VERIFY_EMAIL"]}`)
	prefix := `link="` + e.URL + "/realms/master/login-actions/verify-email?key="
	var key string
	eventually(t, "the verification link in the log", func() bool {
		out := buf.String()
		i := strings.Index(out, prefix)
		if i < 0 {
			return false
		}
		key, _, _ = strings.Cut(out[i+len(prefix):], `"`)
		return true
	})
	e.must(t, 200, "GET", "/realms/master/login-actions/verify-email?key="+key, "", "")
	if strings.Contains(buf.String(), "Welcome to master") {
		t.Fatal("a user awaiting verification was sent a welcome too")
	}
}
