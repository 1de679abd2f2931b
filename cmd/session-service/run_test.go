package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
)

func TestRequiredConfiguration(t *testing.T) {
	full := map[string]string{"OPENGATE_KAFKA_BROKERS": "kafka:9092", "OPENGATE_REDIS_URL": "redis://x", "OPENGATE_ISSUER_BASE": "http://localhost:8080"}
	without := func(k string) map[string]string {
		m := map[string]string{}
		for kk, v := range full {
			if kk != k {
				m[kk] = v
			}
		}
		return m
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoRedis", without("OPENGATE_REDIS_URL"), "OPENGATE_REDIS_URL is required"},
		{"NoKafka", without("OPENGATE_KAFKA_BROKERS"), "OPENGATE_KAFKA_BROKERS is required"},
		{"NoIssuer", without("OPENGATE_ISSUER_BASE"), "OPENGATE_ISSUER_BASE is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), nil, boottest.Env(tt.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error naming %s", err, tt.want)
			}
		})
	}
	// No database: OPENGATE_POSTGRES_URL is neither needed nor read.
	if _, err := parseConfig(nil, boottest.Env(full), io.Discard); err != nil {
		t.Fatalf("full configuration without PostgreSQL: %v", err)
	}
	if _, err := parseConfig([]string{"-migrate-only"}, boottest.Env(full), io.Discard); err == nil {
		t.Fatal("-migrate-only accepted by a service without a database")
	}
}

// running is session-service started on a Kafka cluster with its peers.
type running struct {
	srv      boottest.Started
	peers    *boottest.Peers
	iss      *boottest.Issuer
	pub      *iamkafka.Publisher
	admin    string // master admin's token
	internal *sessionhttp.Client
	events   <-chan iam.Event // session.terminated
}

func start(t *testing.T) running {
	t.Helper()
	seeds := iamtest.Kafka(t)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, "svc-token", nil)
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": "svc-token",
	})))
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	root := peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin)
	return running{srv: srv, peers: peers, iss: iss, pub: pub, admin: iss.Token(t, "master", root, iam.RoleAdmin),
		internal: sessionhttp.NewClient(srv.URL, "svc-token", sessionhttp.WithAliveCacheTTL(0)),
		events:   boottest.Events(t, seeds, iam.TopicSessionTerminated)}
}

// publish sends events to Kafka as auth-service does.
func (r running) publish(t *testing.T, topic string, realm iam.Realm, userID string, data any) iam.Event {
	t.Helper()
	e, err := iam.NewEvent(auth.EventSource, topic, realm, userID, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.pub.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (r running) login(t *testing.T, realm iam.Realm, userID, sid string) {
	t.Helper()
	r.publish(t, iam.TopicLoginSuccess, realm, userID, auth.LoginSuccessEvent{UserID: userID, Username: "name-" + userID,
		ClientID: "web", ClientUUID: "uuid-web", SessionID: sid, GrantType: "password", IPAddress: "192.0.2.9",
		SessionExpiresAt: time.Now().Add(time.Hour).Unix()})
}

func (r running) sessions(t *testing.T, realm iam.Realm, userID string) []sessionhttp.UserSessionRepresentation {
	t.Helper()
	resp, body := r.srv.Call(t, "GET", "/admin/realms/"+string(realm)+"/users/"+userID+"/sessions", r.admin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET sessions = %d %s", resp.StatusCode, body)
	}
	var list []sessionhttp.UserSessionRepresentation
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

func (r running) alive(t *testing.T, realm iam.Realm, sid string) bool {
	t.Helper()
	ok, err := r.internal.Alive(context.Background(), realm, sid)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// oneEvent fails unless exactly one session.terminated arrives, for sid.
func (r running) oneEvent(t *testing.T, sid, reason string) {
	t.Helper()
	select {
	case e := <-r.events:
		var d session.TerminatedEvent
		if err := e.Decode(&d); err != nil || d.SessionID != sid || d.Reason != reason {
			t.Fatalf("session.terminated = %+v, %v; want session %s, reason %s", d, err, sid, reason)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no session.terminated for %s", sid)
	}
	select {
	case e := <-r.events:
		t.Fatalf("a second session.terminated: %s", e.Data)
	case <-time.After(time.Second):
	}
}

// Logins on Kafka become sessions in Redis, listed through the admin and
// account APIs; an administrator's DELETE and a logout delivered twice each
// publish exactly one session.terminated, and the internal API then says
// the session is dead.
func TestServesSessions(t *testing.T) {
	r := start(t)
	r.srv.GetOK(t, "/healthz", "/readyz", "/metrics")
	r.peers.Realm(t, "shop")
	alice := r.peers.User(t, "shop", "alice")
	r.login(t, "shop", alice, "s1")
	r.login(t, "shop", alice, "s2")
	boottest.Eventually(t, 30*time.Second, "alice's sessions", func() bool { return len(r.sessions(t, "shop", alice)) == 2 })
	s := r.sessions(t, "shop", alice)[0]
	if s.UserID != alice || s.Username != "name-"+alice || s.IPAddress != "192.0.2.9" || s.Clients["uuid-web"] != "web" {
		t.Fatalf("session %+v", s)
	}
	resp, body := r.srv.Call(t, "GET", "/realms/shop/account/sessions", r.iss.Token(t, "shop", alice), "")
	if resp.StatusCode != 200 || strings.Count(body, `"id"`) != 2 {
		t.Fatalf("alice's account sessions = %d %s", resp.StatusCode, body)
	}
	if resp, _ := r.srv.Call(t, "GET", "/admin/realms/shop/users/"+alice+"/sessions", r.iss.Token(t, "shop", alice), ""); resp.StatusCode != 403 {
		t.Fatalf("alice reading the admin API = %d", resp.StatusCode)
	}

	if resp, body := r.srv.Call(t, "DELETE", "/admin/realms/shop/sessions/s1", r.admin, ""); resp.StatusCode != 204 {
		t.Fatalf("DELETE s1 = %d %s", resp.StatusCode, body)
	}
	if resp, _ := r.srv.Call(t, "DELETE", "/admin/realms/shop/sessions/s1", r.admin, ""); resp.StatusCode != 404 {
		t.Fatalf("DELETE s1 again = %d, want 404", resp.StatusCode)
	}
	r.oneEvent(t, "s1", session.ReasonAdmin)
	if r.alive(t, "shop", "s1") || !r.alive(t, "shop", "s2") {
		t.Fatal("the internal API disagrees with the termination")
	}

	logout := auth.LogoutEvent{UserID: alice, SessionID: "s2", ClientID: "web"}
	r.publish(t, iam.TopicLogout, "shop", alice, logout)
	r.publish(t, iam.TopicLogout, "shop", alice, logout) // a duplicate, as a retrying producer may send
	r.oneEvent(t, "s2", session.ReasonLogout)
	if ok, err := r.internal.Touch(context.Background(), "shop", "s2"); err != nil || ok {
		t.Fatalf("Touch of a logged-out session = %v, %v", ok, err)
	}
}

// A realm's ssoSessionIdleTimeout is a Redis TTL: an idle session is gone
// from the lists and dead for auth once it passes.
func TestSessionsExpireInRedis(t *testing.T) {
	r := start(t)
	if _, err := r.peers.Realms.Create(context.Background(), realms.Realm{Name: "brief", Enabled: true,
		SSOSessionIdleTimeout: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	r.login(t, "brief", "u1", "short")
	boottest.Eventually(t, 30*time.Second, "the session", func() bool { return len(r.sessions(t, "brief", "u1")) == 1 })
	boottest.Eventually(t, 10*time.Second, "the idle session's expiry", func() bool { return len(r.sessions(t, "brief", "u1")) == 0 })
	if r.alive(t, "brief", "short") {
		t.Fatal("an idle-expired session is alive")
	}
}
