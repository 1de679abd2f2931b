package clients_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
)

// staleStore is a memory store whose verifiers all count as stale (as
// clientspg's unkeyed SHA-256 ones do), recording the updates that reach
// it; beforeUpdate, if set, runs once before the next one.
type staleStore struct {
	clients.Store
	mu           sync.Mutex
	updates      int
	beforeUpdate func()
}

func (s *staleStore) MatchSecret(realm iam.Realm, id string, hash []byte, secret string) (bool, bool) {
	match, _ := s.Store.MatchSecret(realm, id, hash, secret)
	return match, true
}

func (s *staleStore) Update(ctx context.Context, realm iam.Realm, id string, fn func(*clients.Record) ([]iam.Event, error)) (clients.Record, error) {
	s.mu.Lock()
	s.updates++
	race := s.beforeUpdate
	s.beforeUpdate = nil
	s.mu.Unlock()
	if race != nil {
		race()
	}
	return s.Store.Update(ctx, realm, id, fn)
}

func TestStaleVerifiers(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*staleStore, *clients.Service, clients.Client) {
		t.Helper()
		store := &staleStore{Store: clientsmem.New(nil)}
		svc := clients.New(store)
		c, err := svc.Create(ctx, "acme", validClient(), "the-first-secret-0123456789")
		if err != nil {
			t.Fatal(err)
		}
		return store, svc, c
	}
	t.Run("AWrongSecretRewritesNothing", func(t *testing.T) {
		store, svc, _ := setup(t)
		if _, err := svc.Authenticate(ctx, "acme", "web", "a-wrong-secret"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
			t.Fatal(err)
		}
		if store.updates != 0 {
			t.Fatalf("%d updates after a failed authentication", store.updates)
		}
	})
	t.Run("TheRightSecretRewritesTheVerifierOnce", func(t *testing.T) {
		store, svc, c := setup(t)
		before, _ := store.Get(ctx, "acme", c.ID)
		if _, err := svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
			t.Fatal(err)
		}
		after, _ := store.Get(ctx, "acme", c.ID)
		if store.updates != 1 || after.Secret != before.Secret || !after.Client.UpdatedAt.Equal(before.Client.UpdatedAt) {
			t.Fatalf("%d updates, record %+v (was %+v): want one rewrite changing nothing else", store.updates, after, before)
		}
	})
	t.Run("ASecretRotatedMeanwhileWins", func(t *testing.T) {
		store, svc, c := setup(t)
		var rotated string
		store.beforeUpdate = func() {
			var err error
			if rotated, err = svc.RotateSecret(ctx, "acme", c.ID); err != nil {
				t.Error(err)
			}
		}
		if _, err := svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, "acme", "web", rotated); err != nil {
			t.Fatalf("the rotated secret after the rehash: %v", err)
		}
		if _, err := svc.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
			t.Fatalf("the secret rotated away still authenticates: %v", err)
		}
	})
}
