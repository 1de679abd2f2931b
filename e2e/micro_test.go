package e2e

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

// TestMicroservices runs the scenario against the eight services and the
// gateway, separate processes on per-service databases, a kfake broker and
// an SMTP test server, through the gateway's port; then the fault steps.
func TestMicroservices(t *testing.T) {
	pg, dbPrefix, redisURL, redisPrefix := services(t)
	kafka := iamtest.NewRestartableKafka(t) // the fault steps stop it
	smtp := notifytest.NewSMTPServer(t)
	names := []string{"realm", "client", "user", "rbac", "mfa", "notification", "session", "auth", "gateway"}
	addr := map[string]string{}
	for _, n := range names {
		addr[n] = freePort(t)
	}
	u := func(n string) string { return "http://" + addr[n] }
	shared := map[string]string{
		"OPENGATE_ISSUER_BASE":   u("gateway"),
		"OPENGATE_SERVICE_TOKEN": "e2e-service-token-" + secretKey()[:16],
		"OPENGATE_KAFKA_BROKERS": strings.Join(kafka.Seeds(), ","),
		"OPENGATE_REDIS_URL":     redisURL,
		"OPENGATE_REDIS_PREFIX":  redisPrefix,
		"OPENGATE_REALMS_URL":    u("realm"),
		"OPENGATE_USERS_URL":     u("user"),
		"OPENGATE_RBAC_URL":      u("rbac"),
		"OPENGATE_CLIENTS_URL":   u("client"),
		"OPENGATE_NOTIFY_URL":    u("notification"),
		"OPENGATE_MFA_URL":       u("mfa"),
		"OPENGATE_LOG_FORMAT":    "text",
	}
	key := secretKey()
	extra := map[string]map[string]string{
		"realm":  {"OPENGATE_SECRET_KEY": key},
		"client": {"OPENGATE_SECRET_KEY": key},
		"user":   {"OPENGATE_SECRET_KEY": key, "OPENGATE_ADMIN_PASSWORD": adminPassword, "OPENGATE_TRUSTED_PROXIES": "127.0.0.1/32"},
		"rbac":   {},
		"mfa":    {"OPENGATE_SECRET_KEY": key},
		"notification": {"OPENGATE_SECRET_KEY": key, "OPENGATE_SMTP_HOST": smtp.Host, "OPENGATE_SMTP_PORT": strconv.Itoa(smtp.Port),
			"OPENGATE_SMTP_SECURITY": "none", "OPENGATE_SMTP_FROM": "iam@e2e.example"},
		"session": {},
		"auth":    {"OPENGATE_SECRET_KEY": key, "OPENGATE_TRUSTED_PROXIES": "127.0.0.1/32", "OPENGATE_SESSIONS_URL": u("session")},
		"gateway": {"OPENGATE_AUTH_URL": u("auth"), "OPENGATE_SESSION_URL": u("session")},
	}
	began := time.Now()
	procs := map[string]*proc{}
	for _, n := range names {
		env := map[string]string{}
		for k, v := range shared {
			env[k] = v
		}
		if n != "session" && n != "gateway" {
			env["OPENGATE_POSTGRES_URL"], env["OPENGATE_DATABASE_PREFIX"] = pg, dbPrefix
		}
		for k, v := range extra[n] {
			env[k] = v
		}
		env["OPENGATE_INSTANCE"] = n + "-1"
		binary := n + "-service"
		if n == "gateway" {
			binary = "gateway"
		}
		procs[n] = start(t, binary, addr[n], env)
	}
	t.Logf("nine processes ready in %s", time.Since(began).Round(time.Millisecond))
	mails := func() []mail {
		var out []mail
		for _, m := range smtp.Messages() {
			for _, to := range m.To {
				out = append(out, mail{To: to, Subject: m.Subject()})
			}
		}
		return out
	}
	began = time.Now()
	w := scenario(t, deployment{base: u("gateway"), adminPassword: adminPassword, kafka: kafka.Seeds(), mails: mails})
	t.Logf("scenario took %s", time.Since(began).Round(time.Millisecond))

	began = time.Now()
	t.Run("KillNotificationServiceWhileEventsFlow", func(t *testing.T) {
		step := time.Now()
		c := newClient(t, w.d.base)
		const n = 6
		var addrs []string
		create := func(i int) {
			a := fmt.Sprintf("user%d@e2e.example", i)
			addrs = append(addrs, a)
			c.want(201, "POST", "/admin/realms/e2e/users", w.admin, fmt.Sprintf(`{"username":"user%d","email":%q,"emailVerified":true,"enabled":true}`, i, a))
		}
		// The SMTP server keeps senders waiting before their message, so
		// notification-service is killed mid-send: a welcome mail claimed,
		// nothing of it delivered.
		smtp.Hold()
		for i := range n / 2 {
			create(i)
		}
		waitFor(t, 30*time.Second, "notification-service sending a welcome mail", func() bool { return smtp.Held() > 0 })
		procs["notification"].kill()
		killed := time.Now()
		smtp.Release() // the killed sender's connection is closed: it delivers nothing
		for i := n / 2; i < n; i++ {
			create(i)
		}
		procs["notification"].restart() // under the same OPENGATE_INSTANCE
		restarted := time.Now()
		// The restarted process takes back what its predecessor had
		// claimed when it starts: the mail does not wait for the 3-minute
		// lease.
		waitFor(t, time.Minute, "a welcome mail to every new user", func() bool {
			for _, a := range addrs {
				if w.mailsTo(a)["Welcome to E2E"] < 1 {
					return false
				}
			}
			return true
		})
		t.Logf("notification-service ready again %s after the kill, every welcome mail %s after that; the step took %s",
			restarted.Sub(killed).Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond), time.Since(step).Round(time.Millisecond))
		if out := procs["notification"].out.String(); !strings.Contains(out, "took back the deliveries a previous process of this instance had claimed") {
			t.Error("the restarted notification-service did not log taking back its predecessor's claims")
		}
		time.Sleep(time.Second)
		for _, a := range addrs {
			if got := w.mailsTo(a); len(got) != 1 || got["Welcome to E2E"] != 1 {
				t.Errorf("mails to %s: %v, want one welcome", a, got)
			}
		}
	})
	t.Run("StopTheBrokerForAFewSeconds", func(t *testing.T) {
		stopBroker(t, w, kafka, "http://"+addr["user"])
	})
	t.Run("RestartSessionService", func(t *testing.T) {
		c := newClient(t, w.d.base)
		// bob has no second factor (alice has, and each TOTP step works once).
		c.want(201, "POST", "/admin/realms/e2e/users", w.admin, `{"username":"bob","email":"bob@e2e.example","enabled":true,`+
			`"credentials":[{"type":"password","value":"`+alicePass+`","temporary":false}]}`)
		var bob []map[string]any
		c.want(200, "GET", "/admin/realms/e2e/users?username=bob&exact=true", w.admin, "").json(t, &bob)
		if len(bob) != 1 {
			t.Fatalf("bob: %v", bob)
		}
		bobID, _ := bob[0]["id"].(string)
		tk := c.wantTokens(c.token(realm, url.Values{"grant_type": {"password"}, "client_id": {"web"}, "username": {"bob"}, "password": {alicePass}}))
		sid, _ := claims(t, tk.Access)["sid"].(string)
		sessions := func() []string {
			var list []map[string]any
			c.want(200, "GET", "/admin/realms/e2e/users/"+bobID+"/sessions", w.admin, "").json(t, &list)
			var ids []string
			for _, s := range list {
				id, _ := s["id"].(string)
				ids = append(ids, id)
			}
			return ids
		}
		waitFor(t, 15*time.Second, "the session in the admin list", func() bool { return contains(sessions(), sid) })
		procs["session"].stop()
		procs["session"].restart()
		if !contains(sessions(), sid) {
			t.Fatal("the session did not survive session-service's restart")
		}
		c.wantTokens(w.refresh(c, tk.Refresh))
	})
	t.Run("RestartGateway", func(t *testing.T) {
		procs["gateway"].stop()
		if _, err := newClient(t, w.d.base).http.Get(w.d.base + "/healthz"); err == nil {
			t.Fatal("the stopped gateway answered")
		}
		procs["gateway"].restart()
		c := newClient(t, w.d.base)
		c.want(200, "GET", "/realms/e2e/.well-known/openid-configuration", "", "")
		c.want(200, "GET", "/admin/realms/e2e", w.admin, "")
	})
	t.Logf("fault steps took %s", time.Since(began).Round(time.Millisecond))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
