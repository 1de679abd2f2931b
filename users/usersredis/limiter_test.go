package usersredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users/usersredis"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestLimiter(t *testing.T) {
	userstest.RunLimiter(t, func(t *testing.T) userstest.LimiterHarness {
		client, prefix := iamtest.Redis(t)
		return userstest.LimiterHarness{
			Limiter: usersredis.NewLimiter(client, usersredis.WithPrefix(prefix)),
			Advance: func(_ *testing.T, d time.Duration) { time.Sleep(d) },
			Window:  200 * time.Millisecond,
		}
	})
}

func TestLimiterRefusesASubMillisecondWindow(t *testing.T) {
	client, prefix := iamtest.Redis(t)
	_, _, err := usersredis.NewLimiter(client, usersredis.WithPrefix(prefix)).Hit(context.Background(), "k", time.Microsecond)
	if iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("err = %v, want invalid", err)
	}
}

// Replicas given the same Redis and prefix count together.
func TestLimitersOfTwoReplicasShareTheirCounts(t *testing.T) {
	client, prefix := iamtest.Redis(t)
	a := usersredis.NewLimiter(client, usersredis.WithPrefix(prefix))
	b := usersredis.NewLimiter(client, usersredis.WithPrefix(prefix))
	ctx := context.Background()
	if _, _, err := a.Hit(ctx, "k", time.Minute); err != nil {
		t.Fatal(err)
	}
	if n, _, err := b.Hit(ctx, "k", time.Minute); err != nil || n != 2 {
		t.Fatalf("the other replica's hit counts %d, %v; want 2", n, err)
	}
}
