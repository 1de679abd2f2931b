package opengate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
)

// withKafka puts cfg on a Kafka cluster of its own (kfake) and returns a
// function listing the session.terminated events published on it so far.
func withKafka(t *testing.T, cfg opengate.Config) (opengate.Config, func() []session.TerminatedEvent) {
	t.Helper()
	seeds := iamtest.Kafka(t)
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	fast := iamkafka.WithBackoff(10*time.Millisecond, 100*time.Millisecond)
	cfg.Publisher, cfg.Subscriber = pub, iamkafka.NewSubscriber(seeds, fast)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var got []session.TerminatedEvent
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = iamkafka.NewSubscriber(seeds).Subscribe(ctx, "test", []string{iam.TopicSessionTerminated},
			func(_ context.Context, e iam.Event) error {
				var d session.TerminatedEvent
				if err := e.Decode(&d); err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				got = append(got, d)
				return nil
			})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return cfg, func() []session.TerminatedEvent {
		mu.Lock()
		defer mu.Unlock()
		return append([]session.TerminatedEvent{}, got...)
	}
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	SessionState string `json:"session_state"`
	Error        string `json:"error"`
}

// grant posts form to realm's token endpoint as the public client admin-cli.
func (e embedded) grant(t *testing.T, realm string, form url.Values) (int, tokenResponse) {
	t.Helper()
	form.Set("client_id", "admin-cli")
	resp, err := http.PostForm(e.URL+"/realms/"+realm+"/protocol/openid-connect/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func (e embedded) login(t *testing.T, realm, username, password string) tokenResponse {
	t.Helper()
	status, tok := e.grant(t, realm, url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}})
	if status != 200 || tok.RefreshToken == "" || tok.SessionState == "" {
		t.Fatalf("login of %s: %d %+v", username, status, tok)
	}
	return tok
}

// sessionsOf lists user's sessions through the admin API.
func (e embedded) sessionsOf(t *testing.T, admin, realm, userID string) []sessionhttp.UserSessionRepresentation {
	t.Helper()
	var list []sessionhttp.UserSessionRepresentation
	if err := json.Unmarshal([]byte(e.must(t, 200, "GET", "/admin/realms/"+realm+"/users/"+userID+"/sessions", admin, "")), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// The session service is the authority on sessions in the all-in-one: a
// login creates one, the admin API lists it in Keycloak's shape, and ending
// it publishes exactly one session.terminated and refuses its refresh token
// at once; its access token is refused once auth has consumed the event.
func TestTerminatingASessionEndsItsTokens(t *testing.T) {
	for name, config := range map[string]func(*testing.T) opengate.Config{
		"Memory":   func(*testing.T) opengate.Config { return opengate.Config{} },
		"Postgres": postgresConfig,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, terminated := withKafka(t, config(t))
			e := embed(t, cfg)
			ctx := context.Background()
			admin := e.token(t, "master", "admin", adminPassword)
			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"shop","enabled":true}`)
			e.must(t, 201, "POST", "/admin/realms/shop/users", admin,
				`{"username":"alice","enabled":true,"credentials":[{"type":"password","value":"correct-horse-9","temporary":false}]}`)
			alice, err := e.Users.Find(ctx, "shop", "alice")
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "shop's admin-cli", func() bool {
				_, err := e.Clients.GetByClientID(ctx, "shop", "admin-cli")
				return err == nil
			})
			cli, err := e.Clients.GetByClientID(ctx, "shop", "admin-cli")
			if err != nil {
				t.Fatal(err)
			}
			first, second := e.login(t, "shop", "alice", "correct-horse-9"), e.login(t, "shop", "alice", "correct-horse-9")
			eventually(t, "alice's two sessions", func() bool { return len(e.sessionsOf(t, admin, "shop", alice.ID)) == 2 })
			s := e.sessionsOf(t, admin, "shop", alice.ID)[0]
			if s.UserID != alice.ID || s.Username != "alice" || s.Clients[cli.ID] != "admin-cli" || s.Start == 0 {
				t.Fatalf("session %+v", s)
			}
			e.must(t, 200, "GET", "/app/whoami", first.AccessToken, "")

			e.must(t, 204, "DELETE", "/admin/realms/shop/sessions/"+first.SessionState, admin, "")
			if status, body := e.grant(t, "shop", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}); status != 400 || body.Error != "invalid_grant" {
				t.Fatalf("refresh right after the termination: %d %q, want invalid_grant", status, body.Error)
			}
			eventually(t, "the access token refused once auth consumed session.terminated", func() bool {
				status, _ := e.call(t, "GET", "/app/whoami", first.AccessToken, "")
				return status == 401
			})
			e.must(t, 404, "DELETE", "/admin/realms/shop/sessions/"+first.SessionState, admin, "")
			if status, _ := e.grant(t, "shop", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}}); status != 200 {
				t.Fatalf("refresh of alice's other session: %d", status)
			}
			eventually(t, "one session.terminated", func() bool { return len(terminated()) > 0 })
			time.Sleep(500 * time.Millisecond) // room for a second event, which must not come
			want := session.TerminatedEvent{Realm: "shop", UserID: alice.ID, SessionID: first.SessionState, Reason: session.ReasonAdmin}
			if got := terminated(); len(got) != 1 || got[0] != want {
				t.Fatalf("session.terminated events %+v, want exactly %+v", got, want)
			}
			if list := e.sessionsOf(t, admin, "shop", alice.ID); len(list) != 1 || list[0].ID != second.SessionState {
				t.Fatalf("alice's sessions after the termination: %+v", list)
			}
		})
	}
}

// A user sees and ends their own sessions in the account API, never
// another's; POST .../users/{id}/logout ends all of a user's sessions.
func TestAccountAndAdminLogout(t *testing.T) {
	e := embed(t, opengate.Config{})
	ctx := context.Background()
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"shop","enabled":true}`)
	for _, name := range []string{"alice", "bob"} {
		e.must(t, 201, "POST", "/admin/realms/shop/users", admin,
			`{"username":"`+name+`","enabled":true,"credentials":[{"type":"password","value":"correct-horse-9","temporary":false}]}`)
	}
	eventually(t, "shop's admin-cli", func() bool {
		_, err := e.Clients.GetByClientID(ctx, "shop", "admin-cli")
		return err == nil
	})
	alice, bob := e.login(t, "shop", "alice", "correct-horse-9"), e.login(t, "shop", "bob", "correct-horse-9")
	aliceOther := e.login(t, "shop", "alice", "correct-horse-9")
	var mine []sessionhttp.SessionRepresentation
	eventually(t, "alice's sessions", func() bool {
		_ = json.Unmarshal([]byte(e.must(t, 200, "GET", "/realms/shop/account/sessions", alice.AccessToken, "")), &mine)
		return len(mine) == 2
	})
	current := 0
	for _, s := range mine {
		if s.Current {
			current++
			if s.ID != alice.SessionState {
				t.Fatalf("current session %s, want %s", s.ID, alice.SessionState)
			}
		}
	}
	if current != 1 {
		t.Fatalf("account sessions %+v: want one current", mine)
	}
	eventually(t, "bob's session", func() bool {
		ok, err := e.Sessions.Get(ctx, "shop", bob.SessionState)
		return err == nil && ok.ID != ""
	})
	e.must(t, 404, "DELETE", "/realms/shop/account/sessions/"+bob.SessionState, alice.AccessToken, "")
	e.must(t, 204, "DELETE", "/realms/shop/account/sessions/"+aliceOther.SessionState, alice.AccessToken, "")
	if status, _ := e.grant(t, "shop", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {bob.RefreshToken}}); status != 200 {
		t.Fatalf("bob's refresh after alice's attempt on his session: %d", status)
	}
	bobUser, err := e.Users.Find(ctx, "shop", "bob")
	if err != nil {
		t.Fatal(err)
	}
	e.must(t, 204, "POST", "/admin/realms/shop/users/"+bobUser.ID+"/logout", admin, "")
	if status, _ := e.grant(t, "shop", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {bob.RefreshToken}}); status != 400 {
		t.Fatalf("bob's refresh after his logout by an administrator: %d", status)
	}
}
