package authkafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authkafka"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// signalling wraps the service and reports each handled event.
type signalling struct {
	svc  *auth.Service
	done chan iam.Event
}

func (s signalling) HandleEvent(ctx context.Context, e iam.Event) error {
	err := s.svc.HandleEvent(ctx, e)
	if err == nil {
		s.done <- e
	}
	return err
}

func TestRunConsumesTheBus(t *testing.T) {
	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond))
	t.Cleanup(func() { _ = bus.Close() })
	if err := bus.Declare(auth.Consumer, auth.Topics()...); err != nil {
		t.Fatal(err)
	}
	dir := authtest.NewDirectory()
	dir.PutRealm(realms.Realm{Name: "acme", Enabled: true})
	dir.PutClient(clients.Client{ID: "c-app", Realm: "acme", ClientID: "app", Enabled: true, DirectAccessGrantsEnabled: true}, "s")
	dir.PutUser(users.User{ID: "u1", Realm: "acme", Username: "alice", Enabled: true}, "pw")
	store := authmem.New()
	svc, err := dir.NewService("https://id.example.com", authmem.NewKeyStore(), store)
	if err != nil {
		t.Fatal(err)
	}
	login := func() *auth.Tokens {
		t.Helper()
		tok, err := svc.Token(context.Background(), auth.TokenRequest{Realm: "acme", GrantType: auth.GrantPassword,
			Client: auth.ClientCredentials{ClientID: "app", Secret: "s"}, Username: "alice", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	alive := func(tok *auth.Tokens) bool {
		t.Helper()
		_, err := svc.Token(context.Background(), auth.TokenRequest{Realm: "acme", GrantType: auth.GrantRefreshToken,
			Client: auth.ClientCredentials{ClientID: "app", Secret: "s"}, RefreshToken: tok.RefreshToken})
		return err == nil
	}

	h := signalling{svc: svc, done: make(chan iam.Event, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- authkafka.Run(ctx, bus, h) }()
	publish := func(topic, subject string, data any) {
		t.Helper()
		e, err := iam.NewEvent("/opengate/test", topic, "acme", subject, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-h.done:
			if got.ID != e.ID {
				t.Fatalf("handled %s, want %s", got.Type, e.Type)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not handled", topic)
		}
	}

	a, b := login(), login()
	publish(iam.TopicSessionTerminated, "u1", auth.SessionTerminatedEvent{SessionID: a.SessionState})
	if alive(a) || !alive(b) {
		t.Fatal("session.terminated revoked the wrong session")
	}
	c := login()
	publish(iam.TopicUserDeleted, "u1", map[string]string{"id": "u1", "username": "alice"})
	if alive(c) {
		t.Fatal("user.deleted left a session alive")
	}

	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}
