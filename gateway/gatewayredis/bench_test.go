package gatewayredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// BenchmarkTake is one request's Take of two buckets (address, realm and
// client), as the gateway takes them, from parallel goroutines: exact (one
// EVALSHA) and synchronised (from memory, the loop synchronising every
// DefaultSyncInterval meanwhile):
//
//	go test ./gateway/gatewayredis -run '^$' -bench Take -benchmem
func BenchmarkTake(b *testing.B) {
	rc, prefix := iamtest.Redis(b)
	rate := gateway.Rate{Requests: 1_000_000, Per: time.Second}
	buckets := []gateway.Bucket{{Key: "ip:192.0.2.1", Rate: rate}, {Key: "client:acme:app", Rate: rate}}
	synced := gatewayredis.New(rc, gatewayredis.WithPrefix(prefix+"s:"), gatewayredis.WithSync(gatewayredis.DefaultSyncInterval))
	b.Cleanup(synced.Close)
	for _, l := range []struct {
		name    string
		limiter gateway.Limiter
	}{{"Exact", gatewayredis.New(rc, gatewayredis.WithPrefix(prefix+"e:"))}, {"Synchronised", synced}} {
		b.Run(l.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := l.limiter.Take(context.Background(), buckets); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
