package notifyhttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/notify/notifymem"
	"github.com/opengate-iam/opengate/notify/notifytest"
	"github.com/opengate-iam/opengate/users"
)

const serviceToken = "svc-token"

// fixture is the notify API over a memory store, with acme's administrator.
type fixture struct {
	e     *notifytest.Env
	h     http.Handler
	admin *iam.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := notifytest.NewEnv(t, notifytest.ServiceHarness{Store: notifymem.New()})
	boss := e.User(t, users.User{Username: "boss", Email: "boss@example.com"})
	return &fixture{e: e, h: notifyhttp.NewHandler(e.Svc, notifyhttp.WithServiceToken(serviceToken)),
		admin: &iam.Principal{Subject: boss.ID, Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}}
}

// do sends method path with body (JSON, none if "") as p (nil: anonymous).
func (f *fixture) do(t *testing.T, p *iam.Principal, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if p != nil {
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	return rec
}

func (f *fixture) want(t *testing.T, rec *httptest.ResponseRecorder, status int, code iam.Code) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if code != "" {
		var body struct{ Error string }
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error != string(code) {
			t.Fatalf("body %s, want error %s", rec.Body, code)
		}
	}
}

func TestNotificationsAdminAPI(t *testing.T) {
	f := newFixture(t)
	f.e.SMTP.Refuse(554, "no")
	u := f.e.User(t, users.User{Username: "alice", Email: "alice@example.com"})
	if err := f.e.Users.RequestPasswordReset(t.Context(), "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	f.e.Pump(t)
	for range 2 { // retried after 1 and 2 minutes, then failed; the link lives 30
		f.e.Clock.Advance(10 * time.Minute)
		f.e.Deliver(t)
	}
	rec := f.do(t, f.admin, "GET", "/admin/realms/acme/notifications?status=failed&user="+u.ID, "")
	f.want(t, rec, 200, "")
	var list []notifyhttp.NotificationRepresentation
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 2 {
		t.Fatalf("list = %s, %v; want alice's welcome and reset", rec.Body, err)
	}
	reset := list[0]
	if reset.Kind != string(notify.KindPasswordReset) || reset.Status != "failed" || reset.Attempts != 3 || reset.Recipient != "alice@example.com" ||
		!strings.Contains(reset.LastError, "no") || reset.ExpiresTimestamp == nil || reset.NextAttempt != nil {
		t.Fatalf("reset delivery = %+v", reset)
	}
	if strings.Contains(rec.Body.String(), "sealed") {
		t.Fatalf("the admin API shows the sealed link: %s", rec.Body)
	}
	for _, tt := range []struct {
		name, method, path string
		status             int
		code               iam.Code
	}{
		{"Get", "GET", "/admin/realms/acme/notifications/" + reset.ID, 200, ""},
		{"GetOtherRealm", "GET", "/admin/realms/beta/notifications/" + reset.ID, 403, iam.CodeForbidden},
		{"GetMissing", "GET", "/admin/realms/acme/notifications/" + iam.NewID(), 404, iam.CodeNotFound},
		{"BadStatus", "GET", "/admin/realms/acme/notifications?status=lost", 400, iam.CodeInvalid},
		{"BadKind", "GET", "/admin/realms/acme/notifications?kind=spam", 400, iam.CodeInvalid},
		{"BadPage", "GET", "/admin/realms/acme/notifications?max=-1", 400, iam.CodeInvalid},
		{"Anonymous", "GET", "/admin/realms/acme/notifications", 401, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := f.admin
			if tt.name == "Anonymous" {
				p = nil
			}
			f.want(t, f.do(t, p, tt.method, tt.path, ""), tt.status, tt.code)
		})
	}
	t.Run("Retry", func(t *testing.T) {
		f.e.SMTP.Accept()
		f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/notifications/"+reset.ID+"/retry", ""), 204, "")
		f.e.Deliver(t)
		if m := f.e.Mails(t, 1)[0]; m.Subject() != "Reset your Acme Corp password" {
			t.Fatalf("retried mail %q", m.Subject())
		}
		f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/notifications/"+reset.ID+"/retry", ""), 409, iam.CodeConflict)
	})
}

func TestTemplatesAdminAPI(t *testing.T) {
	f := newFixture(t)
	path := "/admin/realms/acme/notification-templates/welcome/de"
	rec := f.do(t, f.admin, "GET", path, "")
	f.want(t, rec, 200, "")
	var got notifyhttp.TemplateRepresentation
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !got.Builtin || !strings.Contains(got.HTML, "<!DOCTYPE html>") ||
		got.Subject != `{{.T "welcome.subject" .Realm}}` || got.Locale != "de" {
		t.Fatalf("built-in template = %+v, %v", got, err)
	}
	f.want(t, f.do(t, f.admin, "PUT", path, `{"subject":"Hallo {{.Realm}}","html":"<p>{{.Link}}</p>","text":"{{.Link}}"}`), 204, "")
	rec = f.do(t, f.admin, "GET", "/admin/realms/acme/notification-templates", "")
	var list []notifyhttp.TemplateRepresentation
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 1 || list[0].Builtin || list[0].Subject != "Hallo {{.Realm}}" ||
		list[0].UpdatedTimestamp == nil {
		t.Fatalf("overrides = %s", rec.Body)
	}
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"BrokenTemplate", "PUT", path, `{"subject":"{{.Nope","html":"x","text":"x"}`, 400},
		{"UnknownField", "PUT", path, `{"subject":"x","html":"x","text":"x","css":"x"}`, 400},
		{"UnknownKind", "GET", "/admin/realms/acme/notification-templates/spam/en", "", 400},
		{"Delete", "DELETE", path, "", 204},
		{"DeleteAgain", "DELETE", path, "", 404},
		{"MissingRealm", "GET", "/admin/realms/nowhere/notification-templates", "", 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.want(t, f.do(t, f.admin, tt.method, tt.path, tt.body), tt.status, "")
		})
	}
}

func TestTestSMTPConnection(t *testing.T) {
	f := newFixture(t)
	f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/testSMTPConnection", ""), 204, "")
	f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/testSMTPConnection", "{}"), 204, "")
	settings := `{"host":"127.0.0.1","port":"` + portOf(f) + `","from":"test@acme.test","auth":"true","user":"mailer","password":"**********","starttls":"true"}`
	f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/testSMTPConnection", settings), 204, "")
	if got := f.e.Mails(t, 3); got[2].Address("From").Address != "test@acme.test" || got[2].To[0] != "boss@example.com" {
		t.Fatalf("the settings' From was not used: %v", got[2].Header)
	}
	elsewhere := strings.Replace(settings, `"127.0.0.1"`, `"mx.attacker.test"`, 1)
	f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/testSMTPConnection", elsewhere), 400, iam.CodeInvalid)
	f.want(t, f.do(t, f.admin, "POST", "/admin/realms/acme/testSMTPConnection", `{"host":"mx","from":"a@b.test","dkim":"x"}`), 400, iam.CodeInvalid)
	wrong := strings.Replace(settings, `"**********"`, `"wrong-password"`, 1)
	rec := f.do(t, f.admin, "POST", "/admin/realms/acme/testSMTPConnection", wrong)
	f.want(t, rec, 503, iam.CodeUnavailable)
	if !strings.Contains(rec.Body.String(), "did not take the mail") || strings.Contains(rec.Body.String(), "wrong-password") {
		t.Fatalf("a failed test says %s", rec.Body)
	}
}

func portOf(f *fixture) string { return strconv.Itoa(f.e.SMTP.Port) }

func TestClientSendsCodesThroughTheInternalAPI(t *testing.T) {
	f := newFixture(t)
	u := f.e.User(t, users.User{Username: "otto", Email: "otto@example.com"})
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	var sender mfa.Sender = notifyhttp.NewClient(srv.URL, serviceToken)
	const code = "391847"
	m := mfa.Message{Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "otto@example.com", Code: code,
		ExpiresAt: f.e.Clock.Now().Add(5 * time.Minute)}
	if err := sender.SendOTP(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if got := f.e.Mails(t, 1)[0]; !strings.Contains(got.Text, code) || !strings.Contains(got.Text, "5 minutes") {
		t.Fatalf("code mail:\n%s", got.Text)
	}
	for _, tt := range []struct {
		name   string
		sender mfa.Sender
		m      mfa.Message
		code   iam.Code
	}{
		{"WrongServiceToken", notifyhttp.NewClient(srv.URL, "wrong"), m, iam.CodeForbidden},
		{"UnknownUser", sender, mfa.Message{Realm: "acme", UserID: iam.NewID(), Channel: mfa.ChannelEmail, To: "x@example.com", Code: code}, iam.CodeNotFound},
		{"NoCode", sender, mfa.Message{Realm: "acme", UserID: u.ID, Channel: mfa.ChannelEmail, To: "otto@example.com"}, iam.CodeInvalid},
		{"RefusedMail", sender, m, iam.CodeUnavailable},
		{"Unreachable", notifyhttp.NewClient("http://127.0.0.1:1", serviceToken), m, iam.CodeUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "RefusedMail" {
				f.e.SMTP.Refuse(554, "no")
				defer f.e.SMTP.Accept()
			}
			err := tt.sender.SendOTP(t.Context(), tt.m)
			if iam.ErrorCode(err) != tt.code || strings.Contains(err.Error(), code) {
				t.Fatalf("SendOTP = %v, want %s without the code", err, tt.code)
			}
		})
	}
}
