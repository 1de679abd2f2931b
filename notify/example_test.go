package notify_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifymem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
)

// A password reset requested from the users service arrives as an event;
// the notify service mails its link (here through a transport that prints
// the mail's subject and recipient).
func Example() {
	ctx := context.Background()
	links, _ := iamcrypto.NewSealerFor(users.LinkPurpose, iamcrypto.GenerateKey())
	realmSvc := realms.New(realmsmem.New(nil))
	_, _ = realmSvc.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Acme", Enabled: true})
	var events []iam.Event
	bus := iam.PublisherFunc(func(_ context.Context, es ...iam.Event) error { events = append(events, es...); return nil })
	userSvc := users.New(usersmem.New(bus), realmSvc, users.WithLinkSealer(links),
		users.WithResetRunner(func(work func()) { work() })) // at once, for the example
	_, _ = userSvc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true})
	_ = userSvc.RequestPasswordReset(ctx, "acme", "alice")

	printer := notify.TransportFunc(func(_ context.Context, _ notify.Server, m notify.Message) error {
		fmt.Printf("%s to %s, link %t\n", m.Subject, m.To, strings.Contains(m.Text, "reset-credentials?key="))
		return nil
	})
	svc, err := notify.New(notifymem.New(), userSvc, realmSvc, notify.WithLinkSealer(links), notify.WithFallback(printer))
	if err != nil {
		panic(err)
	}
	for _, e := range events {
		_ = svc.HandleEvent(ctx, e)
	}
	_, _ = svc.DeliverDue(ctx)
	// Output:
	// Welcome to Acme to alice@example.com, link false
	// Reset your Acme password to alice@example.com, link true
}
