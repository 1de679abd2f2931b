package clients_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
)

// BenchmarkAuthenticateCached measures the token endpoint's client check
// once the client is cached: SHA-256 of the secret, a constant-time compare
// and a copy of the client.
func BenchmarkAuthenticateCached(b *testing.B) {
	ctx := context.Background()
	svc := clients.New(clientsmem.New(nil))
	c := validClient()
	if _, err := svc.Create(ctx, "acme", c, "the-right-secret-0123456789abcdef"); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789abcdef"); err != nil {
		b.Fatal(err)
	}
	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789abcdef"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := svc.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789abcdef"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkAuthenticateCachedWrongSecret is the same for a wrong secret,
// which must cost as much (and never reach the store).
func BenchmarkAuthenticateCachedWrongSecret(b *testing.B) {
	ctx := context.Background()
	svc := clients.New(clientsmem.New(nil))
	if _, err := svc.Create(ctx, "acme", validClient(), "the-right-secret-0123456789abcdef"); err != nil {
		b.Fatal(err)
	}
	_, _ = svc.Authenticate(ctx, "acme", "web", "x")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Authenticate(ctx, "acme", "web", "the-wrong-secret-0123456789abcdef"); err == nil {
			b.Fatal("wrong secret accepted")
		}
	}
}
