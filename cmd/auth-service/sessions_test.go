package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/users"
)

// auth-service and session-service over HTTP and Kafka: a login reaches the
// session service through auth's outbox and Kafka; once the session service
// ends the session, auth-service refuses its refresh token at once (it asks
// over HTTP on every refresh), exactly one session.terminated is published,
// and auth-service, consuming it, refuses the session's access token too.
func TestSessionsEndOverHTTPAndKafka(t *testing.T) {
	redisURL := os.Getenv(iamtest.EnvRedisURL)
	if redisURL == "" {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("%s is required", iamtest.EnvRedisURL)
		}
		t.Skipf("set %s to run auth-service against Redis", iamtest.EnvRedisURL)
	}
	ctx := context.Background()
	const token = "internal-token"
	seeds := iamtest.Kafka(t)
	p := boottest.StartPeers(t, token, nil)
	p.Realm(t, "shop")
	alice, err := p.Users.Create(ctx, "shop", users.User{Username: "alice", Enabled: true},
		users.NewCredential{Value: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	sessions := boottest.StartSessions(t, token, p.Realms, seeds)
	terminated := boottest.Events(t, seeds, iam.TopicSessionTerminated)
	_, prefix := iamtest.Redis(t)
	pg := boottest.NewPostgres(t, "auth")
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0"}, p.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_REDIS_URL":     redisURL,
		"OPENGATE_REDIS_PREFIX":  prefix,
		"OPENGATE_ISSUER_BASE":   "http://localhost:8080",
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
		"OPENGATE_SERVICE_TOKEN": token,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SESSIONS_URL":  sessions.URL,
	}))
	grant := func(form url.Values) (int, map[string]any) {
		form.Set("client_id", "admin-cli")
		resp, err := http.PostForm(srv.URL+"/realms/shop/protocol/openid-connect/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	status, tok := grant(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"correct horse battery staple"}, "scope": {"openid"}})
	if status != 200 {
		t.Fatalf("password grant: %d %v", status, tok["error"])
	}
	sid, refresh, access := tok["session_state"].(string), tok["refresh_token"].(string), tok["access_token"].(string)
	boottest.Eventually(t, 20*time.Second, "the session created from auth.login.success", func() bool {
		s, err := sessions.Get(ctx, "shop", sid)
		return err == nil && s.UserID == alice.ID
	})
	if status, body := grant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); status != 200 {
		t.Fatalf("refresh of a live session: %d %v", status, body["error"])
	} else {
		refresh = body["refresh_token"].(string)
	}

	if err := sessions.Terminate(ctx, "shop", sid, session.ReasonAdmin); err != nil {
		t.Fatal(err)
	}
	if status, body := grant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh right after the termination: %d %v, want invalid_grant", status, body["error"])
	}
	select {
	case e := <-terminated:
		var d session.TerminatedEvent
		if err := e.Decode(&d); err != nil || d.SessionID != sid || d.UserID != alice.ID || d.Reason != session.ReasonAdmin {
			t.Fatalf("session.terminated = %+v, %v", d, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no session.terminated")
	}
	userinfo := func() int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/realms/shop/protocol/openid-connect/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	boottest.Eventually(t, 20*time.Second, "the access token refused once auth-service consumed session.terminated",
		func() bool { return userinfo() == http.StatusUnauthorized })
	if err := sessions.Terminate(ctx, "shop", sid, session.ReasonAdmin); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("a second termination: %v", err)
	}
	select {
	case e := <-terminated:
		t.Fatalf("a second session.terminated: %+v", e)
	case <-time.After(time.Second):
	}
}
