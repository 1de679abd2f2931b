package clientspg_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

const secret = "the-client-secret-0123456789"

// storedVerifier reads client id's secret_hash column.
func storedVerifier(t *testing.T, pool *pgxpool.Pool, id string) []byte {
	t.Helper()
	var hash []byte
	if err := pool.QueryRow(context.Background(), `SELECT secret_hash FROM clients WHERE realm_name = 'acme' AND id = $1`, id).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	return hash
}

// setVerifier overwrites client id's secret_hash column, as an earlier
// version (or another key) wrote it.
func setVerifier(t *testing.T, pool *pgxpool.Pool, id string, hash []byte) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE clients SET secret_hash = $1 WHERE realm_name = 'acme' AND id = $2`, hash, id); err != nil {
		t.Fatal(err)
	}
}

// keyed is the verifier clientspg stores for secret of client id under
// key: version 1 and the HMAC-SHA-256 under the key's "clients/secret"
// subkey of "acme" NUL id NUL secret.
func keyed(t *testing.T, key []byte, id, secret string) []byte {
	t.Helper()
	mac, err := iamcrypto.NewMAC("clients/secret", key)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{1}, mac.Sum(clients.SecretMACInput("acme", id, secret))...)
}

func TestStoredVerifierIsAnHMACUnderADerivedKeyNotSHA256(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	key := iamcrypto.GenerateKey()
	sealer, err := iamcrypto.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := clients.New(newStore(t, pool, sealer))
	c, err := svc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, secret)
	if err != nil {
		t.Fatal(err)
	}
	stored := storedVerifier(t, pool, c.ID)
	digest := sha256.Sum256([]byte(secret))
	if bytes.Contains(stored, digest[:]) {
		t.Fatalf("the stored verifier holds SHA-256(secret): %x", stored)
	}
	if want := keyed(t, key, c.ID, secret); !bytes.Equal(stored, want) {
		t.Fatalf("stored verifier %x, want version 1 and the HMAC under the derived subkey %x", stored, want)
	}
	if _, err := svc.Authenticate(ctx, "acme", "web", secret); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, "acme", "web", secret+"x"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestEarlierVerifiersAuthenticateAndAreUpgraded(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := iamcrypto.GenerateKey(), iamcrypto.GenerateKey()
	digest := sha256.Sum256([]byte(secret))
	tests := []struct {
		name   string
		stored func(id string) []byte // the verifier an earlier version wrote
	}{
		{"UnkeyedSHA256", func(string) []byte { return digest[:] }},
		{"HMACUnderThePreviousDeploymentKey", func(id string) []byte { return keyed(t, oldKey, id, secret) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := migrated(t)
			sealer, err := iamcrypto.NewSealer(newKey, oldKey) // rotating from oldKey
			if err != nil {
				t.Fatal(err)
			}
			store := newStore(t, pool, sealer)
			c, err := clients.New(store).Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, secret)
			if err != nil {
				t.Fatal(err)
			}
			setVerifier(t, pool, c.ID, tt.stored(c.ID))

			// A wrong secret is refused and upgrades nothing.
			svc := clients.New(store) // a fresh cache: the row is read again
			if _, err := svc.Authenticate(ctx, "acme", "web", "a-wrong-secret"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
				t.Fatalf("wrong secret on an earlier verifier: %v", err)
			}
			if got := storedVerifier(t, pool, c.ID); !bytes.Equal(got, tt.stored(c.ID)) {
				t.Fatalf("a failed authentication rewrote the verifier: %x", got)
			}

			// The secret authenticates, and the verifier becomes the
			// current key's HMAC.
			if _, err := svc.Authenticate(ctx, "acme", "web", secret); err != nil {
				t.Fatalf("the secret does not authenticate against an earlier verifier: %v", err)
			}
			if got, want := storedVerifier(t, pool, c.ID), keyed(t, newKey, c.ID, secret); !bytes.Equal(got, want) {
				t.Fatalf("verifier after authenticating = %x, want the current key's HMAC %x", got, want)
			}
			if _, err := svc.Authenticate(ctx, "acme", "web", secret); err != nil {
				t.Fatalf("after the upgrade: %v", err)
			}
			if _, err := clients.New(store).Authenticate(ctx, "acme", "web", secret); err != nil {
				t.Fatalf("after the upgrade, uncached: %v", err)
			}
		})
	}
}

func TestAVerifierCopiedToAnotherClientMatchesNothing(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	store := newStore(t, pool, newSealer(t))
	svc := clients.New(store)
	web, err := svc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, secret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.Create(ctx, "acme", clients.Client{ClientID: "other", Enabled: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	setVerifier(t, pool, other.ID, storedVerifier(t, pool, web.ID))
	if _, err := clients.New(store).Authenticate(ctx, "acme", "other", secret); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("web's secret authenticates other with web's verifier: %v", err)
	}
}
