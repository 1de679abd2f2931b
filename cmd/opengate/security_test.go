package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// The high findings of the security review (issue 10 §1–3), replayed
// against the all-in-one binary on PostgreSQL and Redis as an attacker
// would: only through its HTTP API. Realm names are unique per run because
// the Redis of the test environment is shared.

// grant is the answer of a token request.
type grant struct {
	status       int
	retryAfter   string
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

func (s started) grant(t *testing.T, realm string, form url.Values) grant {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/realms/"+realm+"/protocol/openid-connect/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	g := grant{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	_ = json.NewDecoder(resp.Body).Decode(&g)
	return g
}

func passwordForm(username, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {username}, "password": {password}}
}

// mustCall makes an admin API call and fails unless it answers want.
func (s started) mustCall(t *testing.T, want int, method, path, token, body string) (*http.Response, string) {
	t.Helper()
	resp, out := s.Call(t, method, path, token, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, out)
	}
	return resp, out
}

// createUser creates an enabled user with a password in realm and returns
// its id.
func (s started) createUser(t *testing.T, admin, realm, username, password string) string {
	t.Helper()
	resp, _ := s.mustCall(t, 201, "POST", "/admin/realms/"+realm+"/users", admin, fmt.Sprintf(
		`{"username":%q,"enabled":true,"credentials":[{"type":"password","value":%q,"temporary":false}]}`, username, password))
	loc := resp.Header.Get("Location")
	return loc[strings.LastIndex(loc, "/")+1:]
}

// realmRole returns the JSON array of the realm role called name, as the
// role-mapping endpoints take it.
func (s started) realmRole(t *testing.T, admin, realm, name string) string {
	t.Helper()
	_, body := s.mustCall(t, 200, "GET", "/admin/realms/"+realm+"/roles/"+name, admin, "")
	return "[" + body + "]"
}

// masterRealmAdmin creates the master user called name (password
// "Realm-Admin-Passw0rd") holding realm-admin, and returns its id and a
// token of it.
func (s started) masterRealmAdmin(t *testing.T, admin, name string) (id, token string) {
	t.Helper()
	id = s.createUser(t, admin, "master", name, "Realm-Admin-Passw0rd")
	s.mustCall(t, 204, "POST", "/admin/realms/master/users/"+id+"/role-mappings/realm", admin,
		s.realmRole(t, admin, "master", "realm-admin"))
	return id, s.token(t, "master", "admin-cli", name, "Realm-Admin-Passw0rd")
}

// userID returns the id of the user called username in realm.
func (s started) userID(t *testing.T, admin, realm, username string) string {
	t.Helper()
	_, body := s.mustCall(t, 200, "GET", "/admin/realms/"+realm+"/users?exact=true&username="+url.QueryEscape(username), admin, "")
	var list []struct{ ID string }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 {
		t.Fatalf("users named %q in %s: %s, %v", username, realm, body, err)
	}
	return list[0].ID
}

func uniqueRealm(prefix string) string {
	return prefix + "-" + strings.ToLower(strings.NewReplacer("_", "x", "-", "x").Replace(iamcrypto.RandomToken(6)))
}

func TestSecurityHighFindings(t *testing.T) {
	s := start(t, productionEnv(t))
	admin := s.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")

	// §1: a master realm-admin cannot make itself (or anyone) super-admin,
	// by mapping admin directly or through a composite.
	t.Run("RealmAdminCannotGrantItselfAdmin", func(t *testing.T) {
		name := uniqueRealm("ra")
		id, ra := s.masterRealmAdmin(t, admin, name)
		adminRole := s.realmRole(t, admin, "master", "admin")

		s.mustCall(t, 403, "POST", "/admin/realms/master/users/"+id+"/role-mappings/realm", ra, adminRole)
		s.mustCall(t, 201, "POST", "/admin/realms/master/roles", ra, fmt.Sprintf(`{"name":%q}`, name+"-sneaky"))
		s.mustCall(t, 403, "POST", "/admin/realms/master/roles/"+name+"-sneaky/composites", ra, adminRole)

		fresh := s.token(t, "master", "admin-cli", name, "Realm-Admin-Passw0rd")
		other := uniqueRealm("victim")
		s.mustCall(t, 403, "POST", "/admin/realms", fresh, fmt.Sprintf(`{"realm":%q,"enabled":true}`, other))
		_, body := s.mustCall(t, 200, "GET", "/admin/realms/master/users/"+id+"/role-mappings/realm", admin, "")
		if strings.Contains(body, `"name":"admin"`) {
			t.Fatalf("the realm-admin holds admin after the attempts: %s", body)
		}
	})

	// §1 (follow-up): a master realm-admin cannot take over a user with
	// more administrative power — the bootstrap administrator, or anyone
	// holding admin through a composite — by resetting its password,
	// disabling, renaming, deleting it, removing its credential, mailing it
	// actions, overwriting it with partialImport or changing its role
	// mappings; and the administrator still logs in afterwards.
	t.Run("RealmAdminCannotTakeOverAMorePowerfulUser", func(t *testing.T) {
		name := uniqueRealm("ra")
		_, ra := s.masterRealmAdmin(t, admin, name)

		// deputy holds admin through a composite role.
		deputy := s.createUser(t, admin, "master", name+"-deputy", "Deputy-Passw0rd-1")
		s.mustCall(t, 201, "POST", "/admin/realms/master/roles", admin, fmt.Sprintf(`{"name":%q}`, name+"-boss"))
		s.mustCall(t, 204, "POST", "/admin/realms/master/roles/"+name+"-boss/composites", admin, s.realmRole(t, admin, "master", "admin"))
		s.mustCall(t, 204, "POST", "/admin/realms/master/users/"+deputy+"/role-mappings/realm", admin,
			s.realmRole(t, admin, "master", name+"-boss"))

		for target, username := range map[string]string{s.userID(t, admin, "master", "admin"): "admin", deputy: name + "-deputy"} {
			users := "/admin/realms/master/users/" + target
			_, creds := s.mustCall(t, 200, "GET", users+"/credentials", ra, "")
			var list []struct{ ID string }
			if err := json.Unmarshal([]byte(creds), &list); err != nil || len(list) != 1 {
				t.Fatalf("credentials of %s = %s, %v", username, creds, err)
			}
			for _, c := range []struct{ method, path, body string }{
				{"PUT", users + "/reset-password", `{"type":"password","value":"Taken-Over-Passw0rd-1","temporary":false}`},
				{"PUT", users, `{"enabled":false}`},
				{"PUT", users, `{"email":"attacker@example.com"}`},
				{"PUT", users, `{"username":"` + name + `-renamed"}`},
				{"PUT", users, `{"requiredActions":["UPDATE_PASSWORD"]}`},
				{"PUT", users, `{"credentials":[{"type":"password","value":"Taken-Over-Passw0rd-1"}]}`},
				{"DELETE", users + "/credentials/" + list[0].ID, ""},
				{"PUT", users + "/execute-actions-email", `["UPDATE_PASSWORD"]`},
				{"PUT", users + "/send-verify-email", ""},
				{"DELETE", users + "/role-mappings/realm", s.realmRole(t, admin, "master", "offline_access")},
				{"POST", "/admin/realms/master/partialImport", fmt.Sprintf(`{"ifResourceExists":"OVERWRITE","users":[{"username":%q,"enabled":true,"credentials":[{"type":"password","value":"Taken-Over-Passw0rd-1"}]}]}`, username)},
				{"DELETE", users, ""},
			} {
				_, body := s.mustCall(t, 403, c.method, c.path, ra, c.body)
				if !strings.Contains(body, `"forbidden"`) {
					t.Fatalf("%s %s answered %s, want error forbidden", c.method, c.path, body)
				}
			}
		}
		s.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")
		s.token(t, "master", "admin-cli", name+"-deputy", "Deputy-Passw0rd-1")

		// Users without more power than the realm-admin's stay its to manage.
		plain := s.createUser(t, admin, "master", name+"-plain", "Plain-Passw0rd-1")
		s.mustCall(t, 204, "PUT", "/admin/realms/master/users/"+plain+"/reset-password", ra,
			`{"type":"password","value":"Plain-Passw0rd-2","temporary":false}`)
		s.token(t, "master", "admin-cli", name+"-plain", "Plain-Passw0rd-2")
	})

	// The same for a client whose service account holds admin: its secret
	// is that account's password. A master realm-admin can neither read nor
	// rotate it, nor change or delete the client; client credentials keep
	// working.
	t.Run("RealmAdminCannotTakeOverAPowerfulServiceAccount", func(t *testing.T) {
		name := uniqueRealm("ra")
		_, ra := s.masterRealmAdmin(t, admin, name)
		resp, _ := s.mustCall(t, 201, "POST", "/admin/realms/master/clients", admin,
			fmt.Sprintf(`{"clientId":%q,"enabled":true,"publicClient":false,"serviceAccountsEnabled":true}`, name+"-robot"))
		loc := resp.Header.Get("Location")
		client := "/admin/realms/master/clients/" + loc[strings.LastIndex(loc, "/")+1:]
		s.mustCall(t, 204, "POST", "/admin/realms/master/users/service-account-"+loc[strings.LastIndex(loc, "/")+1:]+"/role-mappings/realm",
			admin, s.realmRole(t, admin, "master", "admin"))
		_, secret := s.mustCall(t, 200, "GET", client+"/client-secret", admin, "")
		var cred struct{ Value string }
		if err := json.Unmarshal([]byte(secret), &cred); err != nil || cred.Value == "" {
			t.Fatalf("client-secret = %s, %v", secret, err)
		}
		for _, c := range []struct{ method, path, body string }{
			{"GET", client + "/client-secret", ""},
			{"POST", client + "/client-secret", ""},
			{"PUT", client, `{"enabled":false}`},
			{"DELETE", client, ""},
		} {
			_, body := s.mustCall(t, 403, c.method, c.path, ra, c.body)
			if !strings.Contains(body, `"forbidden"`) || strings.Contains(body, cred.Value) {
				t.Fatalf("%s %s answered %s, want error forbidden without the secret", c.method, c.path, body)
			}
		}
		g := s.grant(t, "master", url.Values{"grant_type": {"client_credentials"}, "client_id": {name + "-robot"}, "client_secret": {cred.Value}})
		if g.status != 200 {
			t.Fatalf("client credentials after the refused calls = %d %s", g.status, g.Error)
		}
	})

	// §2: tokens die with their realm: after the realm is deleted and
	// created again under the same name, neither the old realm-admin's
	// access token nor its refresh token works.
	t.Run("TokensDieWithTheirRealm", func(t *testing.T) {
		realm := uniqueRealm("phoenix")
		s.mustCall(t, 201, "POST", "/admin/realms", admin, fmt.Sprintf(`{"realm":%q,"enabled":true}`, realm))
		id := s.createUser(t, admin, realm, "boss", "Boss-Passw0rd-1")
		// The new realm's default roles arrive through realm.created.
		boottest.Eventually(t, 10*time.Second, "the new realm has no realm-admin role", func() bool {
			resp, _ := s.Call(t, "GET", "/admin/realms/"+realm+"/roles/realm-admin", admin, "")
			return resp.StatusCode == 200
		})
		s.mustCall(t, 204, "POST", "/admin/realms/"+realm+"/users/"+id+"/role-mappings/realm", admin,
			s.realmRole(t, admin, realm, "realm-admin"))
		var old grant
		boottest.Eventually(t, 10*time.Second, "boss cannot log in", func() bool {
			old = s.grant(t, realm, passwordForm("boss", "Boss-Passw0rd-1"))
			return old.status == 200
		})
		s.mustCall(t, 200, "GET", "/admin/realms/"+realm+"/users", old.AccessToken, "")

		s.mustCall(t, 204, "DELETE", "/admin/realms/"+realm, admin, "")
		s.mustCall(t, 201, "POST", "/admin/realms", admin, fmt.Sprintf(`{"realm":%q,"enabled":true}`, realm))

		s.mustCall(t, 401, "GET", "/admin/realms/"+realm+"/users", old.AccessToken, "")
		boottest.Eventually(t, 10*time.Second, "the old realm's refresh token still works", func() bool {
			g := s.grant(t, realm, url.Values{"grant_type": {"refresh_token"}, "client_id": {"admin-cli"},
				"refresh_token": {old.RefreshToken}})
			// invalid_grant, or invalid_client when the old realm's late
			// realm.deleted races the new realm's admin-cli: never a token.
			return g.status != 200 && g.AccessToken == ""
		})
	})

	// §3: password hashing is bounded: a burst of unauthenticated password
	// grants for unknown users is answered (400 invalid_grant, or 503 with
	// Retry-After when the queue is full) without the heap growing with the burst.
	t.Run("PasswordHashingIsBoundedUnderABurst", func(t *testing.T) {
		const burst = 120
		var base runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}()
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for i := range burst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g := s.grant(t, "master", passwordForm(fmt.Sprintf("nobody-%d", i), "Wrong-Passw0rd"))
				mu.Lock()
				defer mu.Unlock()
				statuses[g.status]++
				if g.status == 400 && g.Error != "invalid_grant" || g.status == 503 && g.retryAfter == "" {
					t.Errorf("answer %d %q, Retry-After %q", g.status, g.Error, g.retryAfter)
				}
			}()
		}
		wg.Wait()
		close(stop)
		<-sampled
		for status := range statuses {
			if status != 400 && status != 503 {
				t.Errorf("statuses = %v: only 400 and 503 are acceptable", statuses)
			}
		}
		// Unbounded, 120 concurrent argon2id hashes at the default 19 MiB
		// each take 2.2 GiB; bounded, GOMAXPROCS of them at a time.
		const argon2MiB = 19
		limit := uint64((runtime.GOMAXPROCS(0)*argon2MiB + 256) << 20)
		if grown := peak.Load() - min(peak.Load(), base.HeapInuse); grown > limit {
			t.Fatalf("heap grew by %d MiB during the burst (statuses %v), more than %d MiB", grown>>20, statuses, limit>>20)
		}
		t.Logf("statuses %v, peak heap growth %d MiB", statuses, (peak.Load()-min(peak.Load(), base.HeapInuse))>>20)
	})
}

// Issue 10 §12: password-reset requests are limited per login for the
// whole deployment: two replicas on the same PostgreSQL and Redis count
// together (5 per login per 15 minutes), whether or not the user exists.
func TestResetRequestLimitsHoldAcrossReplicas(t *testing.T) {
	env := productionEnv(t)
	replicas := []started{start(t, env), start(t, env)}
	request := func(s started) *http.Response {
		t.Helper()
		resp, err := http.Post(s.URL+"/realms/master/login-actions/reset-credentials", "application/json",
			strings.NewReader(`{"username":"nobody-at-all"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 5 {
		if resp := request(replicas[i%2]); resp.StatusCode != 200 {
			t.Fatalf("request %d = %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp := request(replicas[1])
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the sixth request, on the other replica = %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// Issue 10 §14: guessing the current password through the account API
// counts against brute-force protection, with the token endpoint's
// counters in Redis: after the realm's failure factor, the right password
// is refused as a wrong one, there and at the token endpoint.
func TestAccountPasswordGuessesAreLockedOut(t *testing.T) {
	s := start(t, productionEnv(t))
	admin := s.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")
	realm := uniqueRealm("guess")
	s.mustCall(t, 201, "POST", "/admin/realms", admin, fmt.Sprintf(
		`{"realm":%q,"enabled":true,"bruteForceProtected":true,"failureFactor":3,"waitIncrementSeconds":60}`, realm))
	s.createUser(t, admin, realm, "victim", "Victim-Passw0rd-1")
	var g grant
	boottest.Eventually(t, 10*time.Second, "the victim cannot log in", func() bool {
		g = s.grant(t, realm, passwordForm("victim", "Victim-Passw0rd-1"))
		return g.status == 200
	})
	change := func(current string) int {
		resp, _ := s.Call(t, "POST", "/realms/"+realm+"/account/credentials/password", g.AccessToken, fmt.Sprintf(
			`{"currentPassword":%q,"newPassword":"Attacker-Passw0rd-2","confirmation":"Attacker-Passw0rd-2"}`, current))
		return resp.StatusCode
	}
	for i := range 3 {
		if status := change(fmt.Sprintf("guess-%d", i)); status != 400 {
			t.Fatalf("guess %d = %d, want 400", i, status)
		}
	}
	if status := change("Victim-Passw0rd-1"); status != 400 {
		t.Fatalf("the right current password after 3 guesses = %d, want 400 (locked out)", status)
	}
	if g := s.grant(t, realm, passwordForm("victim", "Victim-Passw0rd-1")); g.status != 400 || g.Error != "invalid_grant" {
		t.Fatalf("password grant while locked out = %d %q, want invalid_grant", g.status, g.Error)
	}
}
