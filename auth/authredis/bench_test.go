package authredis_test

import (
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// BenchmarkCachedRevoked is a revocation check answered from the client's
// cache; BenchmarkUncachedRevoked the same check as a round trip (the
// script of AccessTokenRevoked):
//
//	go test ./auth/authredis -run '^$' -bench Revoked -benchmem
func BenchmarkCachedRevoked(b *testing.B) {
	client, prefix := iamtest.CachingRedis(b)
	s := authredis.New(client, authredis.WithPrefix(prefix))
	_ = s.EnsureEpoch(b.Context(), "acme")
	c := s.CachedRevocations(0)
	now := time.Now().Add(time.Second)
	for b.Loop() {
		if r, err := c.Revoked(b.Context(), "acme", "j", "s", now); err != nil || r {
			b.Fatal(r, err)
		}
	}
}
func BenchmarkUncachedRevoked(b *testing.B) {
	client, prefix := iamtest.Redis(b)
	s := authredis.New(client, authredis.WithPrefix(prefix))
	_ = s.EnsureEpoch(b.Context(), "acme")
	now := time.Now().Add(time.Second)
	for b.Loop() {
		if r, err := s.AccessTokenRevoked(b.Context(), "acme", "j", "s", now); err != nil || r {
			b.Fatal(r, err)
		}
	}
}
