package clientspg_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// BenchmarkListByClientID measures GET /admin/realms/{realm}/clients?clientId=
// through the real handler on the Postgres store, with 10,000 clients in the
// realm (and 1,000 in another). Reported as req/s.
func BenchmarkListByClientID(b *testing.B) {
	ctx := context.Background()
	pool := migrated(b)
	seed := func(realm string, n int) {
		b.Helper()
		now := time.Now().UTC()
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{realm, iam.NewID(), fmt.Sprintf("client-%05d", i), true, false, false, true, false, false,
				[]string{fmt.Sprintf("https://app%d.test/cb", i)}, []byte(`{}`), iamcrypto.SHA256("s"), []byte{1}, now, now}
		}
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"clients"},
			[]string{"realm_name", "id", "client_id", "enabled", "public_client", "bearer_only", "standard_flow_enabled",
				"direct_access_grants_enabled", "service_accounts_enabled", "redirect_uris", "attributes",
				"secret_hash", "sealed_secret", "created_at", "updated_at"},
			pgx.CopyFromRows(rows))
		if err != nil {
			b.Fatal(err)
		}
	}
	seed("acme", 10_000)
	seed("beta", 1_000)
	if _, err := pool.Exec(ctx, "ANALYZE clients"); err != nil {
		b.Fatal(err)
	}
	svc := newService(b, pool)
	h := clientshttp.NewHandler(svc)
	admin := &iam.Principal{Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), admin)))
	}))
	b.Cleanup(srv.Close)
	client := srv.Client()
	get := func(i int) error {
		resp, err := client.Get(fmt.Sprintf("%s/admin/realms/acme/clients?clientId=client-%05d", srv.URL, i%10_000))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var body [4096]byte
		n, _ := resp.Body.Read(body[:])
		if resp.StatusCode != 200 || n < 100 {
			return fmt.Errorf("status %d, %d bytes", resp.StatusCode, n)
		}
		return nil
	}
	if err := get(1234); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := get(i * 7919); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
