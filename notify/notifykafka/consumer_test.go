package notifykafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifykafka"
	"github.com/opengate-iam/opengate/notify/notifymem"
	"github.com/opengate-iam/opengate/notify/notifytest"
	"github.com/opengate-iam/opengate/users"
)

// TestEventsOnKafkaSendMailOnce publishes the users service's events to
// Kafka (kfake) — the reset request twice, as an at-least-once bus may —
// and checks that the consumer and the worker send each mail once.
func TestEventsOnKafkaSendMailOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seeds := iamtest.Kafka(t, notify.Topics()...)
	e := notifytest.NewEnv(t, notifytest.ServiceHarness{Store: notifymem.New()}, notify.WithPollInterval(10*time.Millisecond))
	e.User(t, users.User{Username: "alice", Email: "alice@example.com"})
	if err := e.Users.RequestPasswordReset(ctx, "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	events := e.Events.Events(t)
	events = append(events, e.Last(t, iam.TopicUserPasswordResetRequested))
	// A later reset of the same user: Kafka keeps one user's events in
	// order (key realm/subject), so its mail proves the duplicate before
	// it was handled.
	if err := e.Users.RequestPasswordReset(ctx, "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	events = append(events, e.Last(t, iam.TopicUserPasswordResetRequested))

	sub := iamkafka.NewSubscriber(seeds, iamkafka.WithBackoff(time.Millisecond, 10*time.Millisecond))
	done := make(chan error, 2)
	go func() { done <- notifykafka.Run(ctx, sub, e.Svc) }()
	go func() { done <- e.Svc.Run(ctx) }()
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(ctx, events...); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(e.SMTP.Messages()) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d mails after 30 s, want the welcome and two resets", len(e.SMTP.Messages()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.Deliver(t)
	e.Mails(t, 3) // not 4: the duplicate sent nothing
	if n := len(e.Deliveries(t, notify.Filter{Kind: notify.KindPasswordReset})); n != 2 {
		t.Fatalf("%d reset deliveries, want 2", n)
	}
	cancel()
	for range 2 {
		<-done
	}
}
