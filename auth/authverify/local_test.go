package authverify_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
)

func TestLocalKeysCachesAndRefreshesOnUnknownKid(t *testing.T) {
	k1, k2 := newRSAKey(t, "k1"), newRSAKey(t, "k2")
	var current atomic.Value
	current.Store(jwkSet("id-of-acme", k1.pub))
	var reads atomic.Int32
	keys := authverify.NewLocalKeys(func(_ context.Context, realm iam.Realm) ([]byte, error) {
		if realm != "acme" {
			return nil, iam.NotFoundf("realm not found")
		}
		reads.Add(1)
		return json.Marshal(current.Load())
	}, time.Hour)
	ctx := context.Background()
	v, _ := authverify.New(ctx, base, authverify.WithKeySource(keys))
	for i := 0; i < 5; i++ {
		if _, err := v.Verify(ctx, sign(t, claims("acme", nil), k1.priv)); err != nil {
			t.Fatal(err)
		}
	}
	if reads.Load() != 1 {
		t.Fatalf("%d reads for five verifications; want 1 (cached)", reads.Load())
	}
	current.Store(jwkSet("id-of-acme", k1.pub, k2.pub))
	if _, err := v.Verify(ctx, sign(t, claims("acme", nil), k2.priv)); err != nil {
		t.Fatalf("new key not picked up: %v", err)
	}
	if _, err := v.Verify(ctx, sign(t, claims("other", nil), k1.priv)); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("token of an unknown realm: err = %v, want unauthenticated", err)
	}
}
