package notifytest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
)

// BenchDeliver measures one password-reset mail end to end over store:
// HandleEvent of a user.password_reset_requested (user lookup, the
// delivery recorded once per event), then DeliverDue (claim, open the
// sealed link, render HTML and text, a transport that discards the mail,
// the outcome recorded). Realms and users are in memory.
func BenchDeliver(b *testing.B, store notify.Store) {
	ctx := context.Background()
	links, err := iamcrypto.NewSealerFor(users.LinkPurpose, iamcrypto.GenerateKey())
	if err != nil {
		b.Fatal(err)
	}
	realmSvc := realms.New(realmsmem.New(nil))
	if _, err := realmSvc.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Acme", Enabled: true}); err != nil {
		b.Fatal(err)
	}
	userSvc := users.New(usersmem.New(nil), realmSvc)
	u, err := userSvc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true,
		Attributes: map[string][]string{"locale": {"de"}}})
	if err != nil {
		b.Fatal(err)
	}
	discard := notify.TransportFunc(func(context.Context, notify.Server, notify.Message) error { return nil })
	svc, err := notify.New(store, userSvc, realmSvc, notify.WithLinkSealer(links), notify.WithFallback(discard),
		notify.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	link := "https://id.example.com/realms/acme/login-actions/reset-credentials?key=" + iamcrypto.RandomToken(32)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		e, err := users.ActionRequestedEvent(iam.TopicUserPasswordResetRequested, u, link, time.Now().Add(time.Hour), nil, links)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := svc.HandleEvent(ctx, e); err != nil {
			b.Fatal(err)
		}
		if n, err := svc.DeliverDue(ctx); err != nil || n != 1 {
			b.Fatalf("DeliverDue = %d, %v", n, err)
		}
	}
}
