package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
)

// An administrator's token stops administering through realm-service as
// soon as the user is disabled at the users service, the admin role is
// taken away at the rbac service (the change reaching realm-service's cache
// as an event) or the realm is disabled here — not when the token expires
// (issue 10, item 7).
func TestAdminTokensFollowTheCallersCurrentState(t *testing.T) {
	ctx := context.Background()
	seeds := iamtest.Kafka(t, iam.TopicRoleMappingChanged, iam.TopicRealmUpdated, iam.TopicUserCreated)
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	iss := boottest.NewIssuer(t)
	pg := boottest.NewPostgres(t, "realms")
	peers := boottest.StartPeers(t, "svc-token", pub) // their changes reach Kafka
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": "svc-token",
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
	})))
	root := peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin)
	token := iss.Token(t, "master", root, iam.RoleAdmin)
	probe := func() int {
		t.Helper()
		resp, _ := srv.Call(t, "GET", "/admin/realms/master", token, "")
		return resp.StatusCode
	}
	if got := probe(); got != 200 {
		t.Fatalf("before: %d", got)
	}

	t.Run("UserDisabled", func(t *testing.T) {
		setEnabled := func(enabled bool) {
			if _, err := peers.Users.Update(ctx, iam.MasterRealm, root, users.Patch{Enabled: &enabled}); err != nil {
				t.Fatal(err)
			}
		}
		setEnabled(false)
		if got := probe(); got != 401 {
			t.Fatalf("disabled user's token = %d, want 401", got)
		}
		setEnabled(true)
		if got := probe(); got != 200 {
			t.Fatalf("enabled again = %d, want 200", got)
		}
	})

	t.Run("RealmDisabled", func(t *testing.T) {
		if resp, body := srv.Call(t, "POST", "/admin/realms", token, `{"realm":"acme","enabled":true}`); resp.StatusCode != 201 {
			t.Fatalf("create acme = %d %s", resp.StatusCode, body)
		}
		peers.Realm(t, "acme")
		acme := iss.Token(t, "acme", peers.User(t, "acme", "carol", iam.RoleRealmAdmin), iam.RoleRealmAdmin)
		if resp, _ := srv.Call(t, "GET", "/admin/realms/acme", acme, ""); resp.StatusCode != 200 {
			t.Fatalf("acme's admin before = %d", resp.StatusCode)
		}
		if resp, _ := srv.Call(t, "PUT", "/admin/realms/acme", token, `{"enabled":false}`); resp.StatusCode != 204 {
			t.Fatalf("disable acme = %d", resp.StatusCode)
		}
		if resp, _ := srv.Call(t, "GET", "/admin/realms/acme", acme, ""); resp.StatusCode != 401 {
			t.Fatalf("acme's admin after acme was disabled = %d, want 401", resp.StatusCode)
		}
	})

	t.Run("AdminRoleRemoved", func(t *testing.T) {
		admin, err := peers.RBAC.GetRoleByName(ctx, iam.MasterRealm, "", iam.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		// realm-service's role cache consumer joins its group in the
		// background and starts at the end of the topic: repeat the change
		// until it has seen one.
		deadline := time.Now().Add(30 * time.Second)
		for {
			if err := peers.RBAC.RemoveUserRoles(ctx, iam.MasterRealm, root, admin.ID); err != nil {
				t.Fatal(err)
			}
			seen := false
			for end := time.Now().Add(time.Second); !seen && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				seen = probe() == 403
			}
			if seen {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the token of a user whose admin role was removed still administers after 30 s")
			}
			if err := peers.RBAC.AddUserRoles(ctx, iam.MasterRealm, root, admin.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}
