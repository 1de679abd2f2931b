package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
)

// namesFunc is a fake realm-service listing realms.
type namesFunc func(ctx context.Context) ([]iam.Realm, error)

func (f namesFunc) Names(ctx context.Context) ([]iam.Realm, error) { return f(ctx) }

// TestDefaultClientsOfExistingRealms: realms made before realm-management
// existed get it, once realm-service answers.
func TestDefaultClientsOfExistingRealms(t *testing.T) {
	ctx := context.Background()
	svc := clients.New(clientsmem.New(nil))
	if _, err := svc.Create(ctx, "acme", clients.AdminCLIClient(), ""); err != nil { // an older version's realm
		t.Fatal(err)
	}
	calls := 0
	realms := namesFunc(func(context.Context) ([]iam.Realm, error) {
		if calls++; calls == 1 {
			return nil, iam.Errorf(iam.CodeUnavailable, "realm service starting")
		}
		return []iam.Realm{iam.MasterRealm, "acme"}, nil
	})
	if err := defaultClients(svc, realms, slog.New(slog.NewTextHandler(io.Discard, nil)))(ctx); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("realm-service asked %d times, want a retry after its failure", calls)
	}
	for _, realm := range []iam.Realm{iam.MasterRealm, "acme"} {
		if _, err := svc.GetByClientID(ctx, realm, iam.RealmManagement); err != nil {
			t.Fatalf("%s has no realm-management: %v", realm, err)
		}
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	down := namesFunc(func(context.Context) ([]iam.Realm, error) { return nil, iam.Errorf(iam.CodeUnavailable, "down") })
	if err := defaultClients(svc, down, slog.New(slog.NewTextHandler(io.Discard, nil)))(stopped); err != nil {
		t.Fatalf("a stopped task = %v, want nil", err)
	}
}
