package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/bench/internal/loadgen"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

const adminPassword = "Admin-passw0rd-seed"

func getenv(name string) string {
	if name == "OPENGATE_ADMIN_PASSWORD" {
		return adminPassword
	}
	return ""
}

// allInOne starts OpenGate with cfg behind an httptest server and returns
// its URL.
func allInOne(t *testing.T, cfg opengate.Config) string {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	cfg.IssuerBase, cfg.Logger = ts.URL, slog.New(slog.DiscardHandler)
	cfg.Admin = &opengate.Admin{Username: "admin", Password: adminPassword}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ran
		srv.Close()
	})
	mux.Handle("/", srv.Handler())
	return ts.URL
}

// count returns how many items the admin GET path lists.
func count(t *testing.T, api *loadgen.AdminAPI, path string) int {
	t.Helper()
	status, body, err := api.Do(context.Background(), http.MethodGet, path, nil)
	if err != nil || status != 200 {
		t.Fatalf("GET %s: %d %v", path, status, err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return len(items)
}

// userCount returns the realm's number of users (users/count).
func userCount(t *testing.T, api *loadgen.AdminAPI, realm string) int {
	t.Helper()
	status, body, err := api.Do(context.Background(), http.MethodGet, "/admin/realms/"+realm+"/users/count", nil)
	var n int
	if err != nil || status != 200 || json.Unmarshal(body, &n) != nil {
		t.Fatalf("users/count of %s: %d %v", realm, status, err)
	}
	return n
}

// Seeded realms have their clients, whose secrets work, and their users,
// who sign in with the seed's password; the search realm has its users.
func TestSeedFillsRealmsClientsAndUsers(t *testing.T) {
	base := allInOne(t, opengate.Config{})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-base", base, "-realms", "3", "-clients", "2", "-users", "5",
		"-search", "2500", "-batch", "1000", "-password", "Seed-horse-1"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if !strings.Contains(out.String(), "seeded realms seed-00000 to seed-00002 (2 clients and 5 users each)") ||
		!strings.Contains(out.String(), "seeded realm search-2500 (2500 users)") {
		t.Fatalf("output = %q", out.String())
	}
	api := loadgen.NewAdminAPI(base, loadgen.Admin{User: "admin", Password: adminPassword}, nil)
	for _, realm := range []string{"seed-00000", "seed-00002"} {
		if n := count(t, api, "/admin/realms/"+realm+"/users?max=1000"); n != 5 {
			t.Errorf("%s has %d users, want 5", realm, n)
		}
		if n := count(t, api, "/admin/realms/"+realm+"/clients?clientId=app-1"); n != 1 {
			t.Errorf("%s has %d clients app-1, want 1", realm, n)
		}
	}
	if n := userCount(t, api, "search-2500"); n != 2500 {
		t.Errorf("search-2500 has %d users, want 2500", n)
	}
	for _, sc := range []loadgen.Config{
		{Realm: "seed-00002", ClientID: "app-1", Secret: "seed-00002-app-1-secret-0123456789", Scenario: "client_credentials"},
		{Realm: "seed-00001", ClientID: "app-0", Secret: "seed-00001-app-0-secret-0123456789", Scenario: "password",
			Username: "user-4", Password: "Seed-horse-1"},
	} {
		sc.Base, sc.Workers, sc.Requests, sc.Duration = base, 1, 2, 30e9
		res, err := loadgen.Run(context.Background(), sc)
		if err != nil || res.OK != 2 {
			t.Errorf("%s in %s: %v, %d ok (%s)", sc.Scenario, sc.Realm, err, res.OK, res.FirstError)
		}
	}
	// Seeding again skips what exists.
	if err := run(context.Background(), []string{"-base", base, "-realms", "3", "-from", "2", "-clients", "2", "-users", "5",
		"-search", "2500"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("seed again: %v", err)
	}
	if n := count(t, api, "/admin/realms/seed-00002/users?max=1000"); n != 5 {
		t.Errorf("seed-00002 has %d users after seeding again, want 5", n)
	}
}

// With -search-copy the search realm's users are written into the users
// database directly, and the admin API finds them.
func TestSearchCopyWritesUsersTheAPIFinds(t *testing.T) {
	serverURL := iamtest.PostgresServer(t)
	prefix := fmt.Sprintf("seedtest_%d_", time.Now().UnixNano())
	iamtest.DropDatabases(t, serverURL, prefix)
	dbs, err := opengate.OpenDatabases(context.Background(), serverURL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dbs.Close)
	base := allInOne(t, opengate.Config{Databases: dbs, SecretKey: iamcrypto.GenerateKey()})
	if err := run(context.Background(), []string{"-base", base, "-realms", "0", "-search", "3000", "-search-copy",
		"-postgres-url", serverURL, "-database-prefix", prefix}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	api := loadgen.NewAdminAPI(base, loadgen.Admin{User: "admin", Password: adminPassword}, nil)
	if n := userCount(t, api, "search-3k"); n != 3000 {
		t.Errorf("search-3k has %d users, want 3000", n)
	}
	q := url.Values{"q": {"employeeNumber:0002999"}}.Encode()
	if n := count(t, api, "/admin/realms/search-3k/users?"+q); n != 1 {
		t.Errorf("employeeNumber 0002999 found %d times, want 1", n)
	}
}

func TestRejectsBadFlags(t *testing.T) {
	for name, args := range map[string][]string{
		"BadSearchCount":       {"-search", "10,x"},
		"FromAfterRealms":      {"-realms", "3", "-from", "4"},
		"NoWorkers":            {"-c", "0"},
		"CopyWithoutPostgres":  {"-search", "10", "-search-copy"},
		"UnknownAlgorithm":     {"-alg", "HS256"},
		"TooManyUsersPerRealm": {"-users", "20000"},
		"StrayArgument":        {"extra"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err == nil {
				t.Fatalf("run(%q) succeeded", args)
			}
		})
	}
	t.Run("NoAdminPassword", func(t *testing.T) {
		if err := run(context.Background(), []string{"-realms", "1"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil ||
			!strings.Contains(err.Error(), "OPENGATE_ADMIN_PASSWORD") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSearchRealmNames(t *testing.T) {
	for n, want := range map[int]string{100_000: "search-100k", 1_000_000: "search-1m", 2500: "search-2500", 3000: "search-3k"} {
		if got := searchRealmName(n); got != want {
			t.Errorf("searchRealmName(%d) = %q, want %q", n, got, want)
		}
	}
}
