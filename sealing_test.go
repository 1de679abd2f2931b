package opengate_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// newFails calls New with cfg and returns its error, closing the Server if
// New succeeded after all.
func newFails(t *testing.T, cfg opengate.Config) error {
	t.Helper()
	cfg.IssuerBase = "http://localhost:1"
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := opengate.New(context.Background(), cfg)
	if err == nil {
		srv.Close()
	}
	return err
}

// readyz returns the status of GET /readyz.
func readyz(t *testing.T, e embedded) int {
	t.Helper()
	resp, err := http.Get(e.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A replica given the wrong deployment key refuses to start (it would seal
// new secrets under it) and its /readyz would fail; a rotation with the old
// key as PreviousSecretKey starts, reads what the old key sealed (client
// secrets, signing keys) and moves the databases' check value to the new
// key, after which replicas still on the old key are refused and not ready.
func TestSecretKeyMismatchAndRotation(t *testing.T) {
	ctx := context.Background()
	cfg := postgresConfig(t)
	oldKey, newKey := cfg.SecretKey, iamcrypto.GenerateKey()

	before := embed(t, cfg)
	c, err := before.Clients.Create(ctx, iam.MasterRealm, clients.Client{ClientID: "vault", Enabled: true,
		ServiceAccountsEnabled: true}, "a-vault-secret-of-enough-length")
	if err != nil {
		t.Fatal(err)
	}
	before.token(t, "master", "admin", adminPassword) // makes and seals master's signing key
	const certs = "/realms/master/protocol/openid-connect/certs"
	jwks := before.must(t, http.StatusOK, "GET", certs, "", "")
	if readyz(t, before) != http.StatusOK {
		t.Fatal("not ready with the right key")
	}

	t.Run("WrongKeyIsRefused", func(t *testing.T) {
		wrong := cfg
		wrong.SecretKey = iamcrypto.GenerateKey()
		if err := newFails(t, wrong); !errors.Is(err, opengate.ErrSecretKeyMismatch) {
			t.Fatalf("New with the wrong key = %v, want ErrSecretKeyMismatch", err)
		}
		// The new key alone is a wrong key too: nothing proves it replaces
		// the old one.
		alone := cfg
		alone.SecretKey = newKey
		if err := newFails(t, alone); !errors.Is(err, opengate.ErrSecretKeyMismatch) {
			t.Fatalf("New with an unproven new key = %v, want ErrSecretKeyMismatch", err)
		}
		if readyz(t, before) != http.StatusOK {
			t.Fatal("a refused replica changed the databases")
		}
	})

	rotated := cfg
	rotated.SecretKey, rotated.PreviousSecretKey = newKey, oldKey
	after := embed(t, rotated)
	t.Run("RotationReadsWhatTheOldKeySealed", func(t *testing.T) {
		secret, err := after.Clients.Secret(ctx, iam.MasterRealm, c.ID)
		if err != nil || secret != "a-vault-secret-of-enough-length" {
			t.Fatalf("client secret after the rotation = %q, %v", secret, err)
		}
		// The master realm's signing key, sealed under the old key, opens:
		// the same key set is published and signs the new replica's tokens.
		if got := after.must(t, http.StatusOK, "GET", certs, "", ""); got != jwks {
			t.Fatalf("JWKS after the rotation = %s, want %s", got, jwks)
		}
		after.must(t, http.StatusOK, "GET", "/admin/realms/master", after.token(t, "master", "admin", adminPassword), "")
		// Ready once Run's background tasks are up (embed does not wait).
		eventually(t, "the rotated replica ready", func() bool { return readyz(t, after) == http.StatusOK })
	})
	t.Run("ReplicasOnTheOldKeyAreRefusedAndNotReady", func(t *testing.T) {
		if got := readyz(t, before); got != http.StatusServiceUnavailable {
			t.Fatalf("old-key replica /readyz = %d, want 503", got)
		}
		old := cfg
		old.SecretKey = oldKey
		if err := newFails(t, old); !errors.Is(err, opengate.ErrSecretKeyMismatch) {
			t.Fatalf("New with the old key after the rotation = %v, want ErrSecretKeyMismatch", err)
		}
	})
}
