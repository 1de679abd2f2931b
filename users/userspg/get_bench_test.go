package userspg_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

// BenchmarkGet reads one user through the Service over PostgreSQL, without
// and with users.WithCache (the read of every refresh, userinfo and admin
// call):
//
//	go test ./users/userspg -run '^$' -bench Get -cpu 1
func BenchmarkGet(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprint("cached=", cached), func(b *testing.B) {
			ctx := context.Background()
			pool := iamtest.Postgres(b)
			if err := userspg.Migrate(ctx, pool); err != nil {
				b.Fatal(err)
			}
			var opts []users.Option
			if cached {
				opts = append(opts, users.WithCache(0, 0))
			}
			svc := users.New(userspg.New(pool), userstest.NewRealms(userstest.Realm("acme")), opts...)
			u, err := svc.Create(ctx, "acme", users.User{Username: "alice", Enabled: true})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Get(ctx, "acme", u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
