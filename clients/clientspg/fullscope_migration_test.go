package clientspg_test

import (
	"context"
	"os"
	"testing"
	"testing/fstest"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// Before fullScopeAllowed was enforced it was stored verbatim in extra, and
// every client's tokens carried every role. The migration keeps that: an
// existing client allows full scope whatever extra said, and the value
// leaves extra (it is a column now).
func TestExistingClientsKeepFullScopeAllowed(t *testing.T) {
	ctx := context.Background()
	pool := iamtest.Postgres(t)
	before := fstest.MapFS{}
	for _, name := range []string{"001_create_clients.sql", "002_processed_events_consumer_clients.sql", "003_add_extra.sql"} {
		data, err := os.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		before["migrations/"+name] = &fstest.MapFile{Data: data}
	}
	if err := iampg.Migrate(ctx, pool, before, "clients"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO clients (realm_name, id, client_id, enabled, public_client, bearer_only,
		standard_flow_enabled, direct_access_grants_enabled, service_accounts_enabled, created_at, updated_at, extra)
		VALUES ('acme', '0190d6a4-0000-7000-8000-0000000000c1', 'app', true, true, false, true, false, false, now(), now(),
		'{"fullScopeAllowed": false, "consentRequired": true}')`); err != nil {
		t.Fatal(err)
	}
	if err := clientspg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	c, err := clients.New(newStore(t, pool, newSealer(t))).GetByClientID(ctx, "acme", "app")
	if err != nil {
		t.Fatal(err)
	}
	if !c.FullScopeAllowed() {
		t.Error("an existing client lost its full scope")
	}
	if _, ok := c.Extra["fullScopeAllowed"]; ok || len(c.Extra) != 1 {
		t.Errorf("extra = %v, want consentRequired only", c.Extra)
	}
}
