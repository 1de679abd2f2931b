package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// TestActionLinksAreSealedOnKafka closes issue 10 item 11: the raw Kafka
// records of user.verify_email_requested and user.password_reset_requested,
// as relayed from the outbox, carry the action link sealed under the
// deployment key's link subkey — neither the key of the link nor its path
// in clear — and the link opened with that subkey works.
func TestActionLinksAreSealedOnKafka(t *testing.T) {
	pg := boottest.NewPostgres(t, "users")
	seeds := iamtest.Kafka(t, iam.TopicUserVerifyEmailRequested, iam.TopicUserPasswordResetRequested)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, svcToken, nil)
	key := iamcrypto.GenerateKey()
	env := peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS":  strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN":  svcToken,
		"OPENGATE_SECRET_KEY":     iamcrypto.EncodeKey(key),
		"OPENGATE_ADMIN_PASSWORD": "bootstrap-pw",
	}))
	env["OPENGATE_REALMS_URL"] = realmService(t)
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, env)
	ctx := context.Background()
	client := usershttp.NewClient(srv.URL, svcToken)
	var root string
	boottest.Eventually(t, 60*time.Second, "bootstrap administrator not created", func() bool {
		u, err := client.GetByUsername(ctx, iam.MasterRealm, "admin")
		root = u.ID
		return err == nil
	})
	if err := peers.RBAC.AssignRealmRoles(ctx, iam.MasterRealm, root, iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := iss.Token(t, "master", root, iam.RoleAdmin)

	resp, _ := srv.Call(t, "POST", "/admin/realms/acme/users", admin, `{"username":"alice","email":"alice@example.com","enabled":true}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create = %d", resp.StatusCode)
	}
	id := resp.Header.Get("Location")[strings.LastIndexByte(resp.Header.Get("Location"), '/')+1:]
	if resp, b := srv.Call(t, "PUT", "/admin/realms/acme/users/"+id+"/send-verify-email", admin, ""); resp.StatusCode != 204 {
		t.Fatalf("send-verify-email = %d %s", resp.StatusCode, b)
	}
	if resp, b := srv.Call(t, "POST", "/realms/acme/login-actions/reset-credentials", "", `{"username":"alice"}`); resp.StatusCode != 200 {
		t.Fatalf("reset request = %d %s", resp.StatusCode, b)
	}

	links, err := boot.NewLinkSealer(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	records := rawRecords(t, seeds, 2, iam.TopicUserVerifyEmailRequested, iam.TopicUserPasswordResetRequested)
	var verifyKey string
	for _, r := range records {
		var e iam.Event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		_, link, err := users.OpenActionLink(links, e)
		if err != nil {
			t.Fatalf("%s: %v", r.Topic, err)
		}
		k := link[strings.Index(link, "key=")+len("key="):]
		for _, clear := range []string{k, "login-actions", "key="} {
			if strings.Contains(string(r.Value), clear) {
				t.Fatalf("raw %s record contains %q in clear: %s", r.Topic, clear, r.Value)
			}
		}
		for _, h := range r.Headers {
			if strings.Contains(string(h.Value), k) {
				t.Fatalf("header %s carries the key", h.Key)
			}
		}
		if r.Topic == iam.TopicUserVerifyEmailRequested {
			verifyKey = k
		}
	}
	if resp, b := srv.Call(t, "GET", "/realms/acme/login-actions/verify-email?key="+verifyKey, "", ""); resp.StatusCode != 200 {
		t.Fatalf("the opened link does not verify: %d %s", resp.StatusCode, b)
	}
}

// rawRecords reads n records of topics from the start, as Kafka holds them.
func rawRecords(t *testing.T, seeds []string, n int, topics ...string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("got %d of %d records before the timeout", len(out), n)
		}
		fetches.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}
