package sessionkafka_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionkafka"
	"github.com/opengate-iam/opengate/session/sessionmem"
)

type realmGetter struct{}

func (realmGetter) Get(_ context.Context, name iam.Realm) (realms.Realm, error) {
	return realms.Realm{Name: name}, nil
}

// collect subscribes group to topic and returns what it has received so far.
func collect(t *testing.T, ctx context.Context, seeds []string, topic string) func() []iam.Event {
	t.Helper()
	var mu sync.Mutex
	var got []iam.Event
	go func() {
		_ = iamkafka.NewSubscriber(seeds).Subscribe(ctx, "test", []string{topic}, func(_ context.Context, e iam.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, e)
			return nil
		})
	}()
	return func() []iam.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]iam.Event{}, got...)
	}
}

// On Kafka: a login creates the session, and its logout, delivered twice,
// terminates it with exactly one session.terminated.
func TestRunOnKafka(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seeds := iamtest.Kafka(t, append(session.Topics(), iam.TopicSessionTerminated)...)
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	svc := session.New(sessionmem.New(), realmGetter{}, session.WithPublisher(pub))
	done := make(chan error, 1)
	go func() { done <- sessionkafka.Run(ctx, iamkafka.NewSubscriber(seeds), svc) }()
	terminated := collect(t, ctx, seeds, iam.TopicSessionTerminated)

	login, err := iam.NewEvent(auth.EventSource, iam.TopicLoginSuccess, "acme", "u1", auth.LoginSuccessEvent{
		UserID: "u1", ClientID: "web", ClientUUID: "uuid-web", SessionID: "s1", SessionExpiresAt: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, login); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the session created", func() bool { _, err := svc.Get(ctx, "acme", "s1"); return err == nil })
	logout, err := iam.NewEvent(auth.EventSource, iam.TopicLogout, "acme", "u1", auth.LogoutEvent{UserID: "u1", SessionID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, logout, logout); err != nil { // a duplicate, as at-least-once delivery may give
		t.Fatal(err)
	}
	eventually(t, "session.terminated", func() bool { return len(terminated()) > 0 })
	time.Sleep(300 * time.Millisecond) // time for a second event, which must not come
	got := terminated()
	if len(got) != 1 {
		t.Fatalf("%d session.terminated events, want 1: %+v", len(got), got)
	}
	var d session.TerminatedEvent
	if err := got[0].Decode(&d); err != nil || d != (session.TerminatedEvent{Realm: "acme", UserID: "u1", SessionID: "s1", Reason: session.ReasonLogout}) {
		t.Fatalf("session.terminated = %+v, %v", d, err)
	}
	cancel()
	<-done
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
