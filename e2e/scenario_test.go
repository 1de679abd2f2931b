package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/twmb/franz-go/pkg/kgo"
)

// mail is a message as the deployment sent it.
type mail struct {
	To, Subject string
}

// deployment is what the scenario needs of a running deployment.
type deployment struct {
	base          string // the one URL clients use
	adminPassword string // master's bootstrap administrator "admin"
	// mails returns every mail sent so far.
	mails func() []mail
	// kafka is the brokers' addresses; nil without Kafka.
	kafka []string
}

const (
	realm       = "e2e"
	redirectURI = "https://app.e2e.example/cb"
	alicePass   = "Alice-e2e-passw0rd"
	aliceMail   = "alice@e2e.example"
)

// world is the state the scenario's steps share.
type world struct {
	t       *testing.T
	d       deployment
	c       *client
	admin   string // an administrator's access token
	aliceID string
	secret  string        // backend's client secret
	redeem  func() answer // redeems the last signIn's code again
}

// scenario runs every step against d, as a client would.
func scenario(t *testing.T, d deployment) *world {
	w := &world{t: t, d: d, c: newClient(t, d.base)}
	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"AdminToken", w.adminToken},
		{"Setup", w.setup},
		{"PasswordGrantAndUserinfo", w.passwordGrant},
		{"RefreshRotationAndReuse", w.refreshRotation},
		{"IntrospectionAndRevocation", w.introspection},
		{"SessionTermination", w.sessions},
		{"AuthorizationCodeWithPKCEAndLogout", w.codeFlow},
		{"TOTPEnrolmentAndMFALogin", w.totp},
		{"Mails", w.mailsArrive},
		{"UserCreatedOnceAndItsEffects", w.userCreated},
		{"KeycloakRealmExportImports", w.realmImport},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.FailNow() // the later steps build on this one
		}
	}
	return w
}

func (w *world) adminToken(t *testing.T) {
	c := newClient(t, w.d.base)
	// In the microservices the administrator's admin role arrives over
	// Kafka (rbac-service consumes its user.created): wait for it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		tk := c.wantTokens(c.token("master", url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"},
			"username": {"admin"}, "password": {w.d.adminPassword}}))
		a := c.do("GET", "/admin/realms", tk.Access, "", nil)
		if a.status == 200 {
			w.admin = tk.Access
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /admin/realms with the bootstrap administrator's token = %d: %s", a.status, a.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (w *world) setup(t *testing.T) {
	if w.admin == "" {
		t.Fatal("no admin token")
	}
	c := newClient(t, w.d.base)
	c.want(201, "POST", "/admin/realms", w.admin, `{"realm":"e2e","displayName":"E2E","enabled":true}`)
	// Default roles come from realm.created (rbac).
	c.eventually(200, "GET", "/admin/realms/e2e/roles/default-roles-e2e", w.admin, "")
	c.eventually(201, "POST", "/admin/realms/e2e/clients", w.admin, `{"clientId":"web","publicClient":true,"standardFlowEnabled":true,`+
		`"directAccessGrantsEnabled":true,"redirectUris":["`+redirectURI+`"]}`)
	loc := c.want(201, "POST", "/admin/realms/e2e/clients", w.admin, `{"clientId":"backend","publicClient":false,"standardFlowEnabled":false,"directAccessGrantsEnabled":false}`).header.Get("Location")
	var sec map[string]any
	c.eventually(200, "GET", "/admin/realms/e2e/clients/"+path.Base(loc)+"/client-secret", w.admin, "").json(t, &sec)
	w.secret, _ = sec["value"].(string)
	if w.secret == "" {
		t.Fatalf("backend's secret: %v", sec)
	}
	c.want(201, "POST", "/admin/realms/e2e/roles", w.admin, `{"name":"editor","description":"edits"}`)
	loc = c.want(201, "POST", "/admin/realms/e2e/users", w.admin, `{"username":"alice","email":"`+aliceMail+`","emailVerified":true,`+
		`"enabled":true,"firstName":"Alice","lastName":"Liddell","credentials":[{"type":"password","value":"`+alicePass+`","temporary":false}]}`).header.Get("Location")
	w.aliceID = path.Base(loc)
	role := c.want(200, "GET", "/admin/realms/e2e/roles/editor", w.admin, "").body
	c.eventually(204, "POST", "/admin/realms/e2e/users/"+w.aliceID+"/role-mappings/realm", w.admin, "["+role+"]")
	c.want(204, "PUT", "/admin/realms/e2e/users/"+w.aliceID+"/send-verify-email", w.admin, "")
}

// password is a password grant of alice at web.
func (w *world) password(c *client, extra ...string) tokens {
	c.t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {"web"}, "username": {"alice"}, "password": {alicePass}, "scope": {"openid"}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return c.wantTokens(c.token(realm, form))
}

func (w *world) refresh(c *client, rt string) answer {
	c.t.Helper()
	return c.token(realm, url.Values{"grant_type": {"refresh_token"}, "client_id": {"web"}, "refresh_token": {rt}})
}

func (w *world) passwordGrant(t *testing.T) {
	c := newClient(t, w.d.base)
	tk := w.password(c)
	cl := claims(t, tk.Access)
	if cl["sub"] != w.aliceID || cl["iss"] != w.d.base+"/realms/e2e" {
		t.Fatalf("claims: %v", cl)
	}
	ra, _ := cl["realm_access"].(map[string]any)
	roles := fmt.Sprint(ra["roles"])
	for _, r := range []string{"editor", "offline_access", "uma_authorization"} {
		if !strings.Contains(roles, r) {
			t.Errorf("realm roles %s lack %s (its own and the default roles)", roles, r)
		}
	}
	ui := c.want(200, "GET", "/realms/e2e/protocol/openid-connect/userinfo", tk.Access, "").obj(t)
	if ui["sub"] != w.aliceID || ui["preferred_username"] != "alice" || ui["email"] != aliceMail {
		t.Fatalf("userinfo: %v", ui)
	}
	if a := c.do("GET", "/realms/e2e/protocol/openid-connect/userinfo", "not-a-token", "", nil); a.status != 401 {
		t.Fatalf("userinfo with a bad token = %d", a.status)
	}
}

func (w *world) refreshRotation(t *testing.T) {
	c := newClient(t, w.d.base)
	first := w.password(c)
	second := c.wantTokens(w.refresh(c, first.Refresh))
	if second.Refresh == "" || second.Refresh == first.Refresh {
		t.Fatal("the refresh token was not rotated")
	}
	third := c.wantTokens(w.refresh(c, second.Refresh))
	// Reusing a rotated token revokes the family: the newest dies too.
	if a := w.refresh(c, first.Refresh); a.status != 400 || !strings.Contains(a.body, "invalid_grant") {
		t.Fatalf("reused refresh token = %d %s", a.status, a.body)
	}
	if a := w.refresh(c, third.Refresh); a.status != 400 {
		t.Fatalf("refresh after reuse detection = %d %s (the family must be revoked)", a.status, a.body)
	}
}

func (w *world) introspect(c *client, token string) map[string]any {
	c.t.Helper()
	a := c.do("POST", "/realms/e2e/protocol/openid-connect/token/introspect", "", "", url.Values{"token": {token}}, "backend", w.secret)
	if a.status != 200 {
		c.t.Fatalf("introspection = %d %s", a.status, a.body)
	}
	return a.obj(c.t)
}

func (w *world) introspection(t *testing.T) {
	c := newClient(t, w.d.base)
	tk := w.password(c)
	if got := w.introspect(c, tk.Access); got["active"] != true || got["sub"] != w.aliceID {
		t.Fatalf("introspection of a live token: %v", got)
	}
	if a := c.do("POST", "/realms/e2e/protocol/openid-connect/token/introspect", "", "", url.Values{"token": {tk.Access}}, "backend", "wrong-secret"); a.status != 401 {
		t.Fatalf("introspection with a wrong secret = %d %s", a.status, a.body)
	}
	revoke := func(token string) {
		if a := c.do("POST", "/realms/e2e/protocol/openid-connect/revoke", "", "", url.Values{"token": {token}, "client_id": {"web"}}); a.status != 200 {
			t.Fatalf("revoke = %d %s", a.status, a.body)
		}
	}
	revoke(tk.Access)
	if got := w.introspect(c, tk.Access); got["active"] != false {
		t.Fatalf("introspection of a revoked access token: %v", got)
	}
	if a := c.do("GET", "/realms/e2e/protocol/openid-connect/userinfo", tk.Access, "", nil); a.status != 401 {
		t.Fatalf("userinfo with a revoked token = %d %s", a.status, a.body)
	}
	revoke(tk.Refresh)
	if a := w.refresh(c, tk.Refresh); a.status != 400 {
		t.Fatalf("refresh with a revoked token = %d %s", a.status, a.body)
	}
}

// sessionIDs lists alice's sessions through the admin API.
func (w *world) sessionIDs(c *client) []string {
	c.t.Helper()
	var list []map[string]any
	c.want(200, "GET", "/admin/realms/e2e/users/"+w.aliceID+"/sessions", w.admin, "").json(c.t, &list)
	var ids []string
	for _, s := range list {
		id, _ := s["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

func (w *world) sessions(t *testing.T) {
	c := newClient(t, w.d.base)
	tk := w.password(c)
	sid, _ := claims(t, tk.Access)["sid"].(string)
	if sid == "" {
		t.Fatal("no sid claim")
	}
	waitFor(t, 15*time.Second, "the session in the admin list", func() bool { return slices.Contains(w.sessionIDs(c), sid) })
	c.want(204, "DELETE", "/admin/realms/e2e/sessions/"+sid, w.admin, "")
	waitFor(t, 15*time.Second, "the refresh token to die with its session", func() bool { return w.refresh(c, tk.Refresh).status == 400 })
	if slices.Contains(w.sessionIDs(c), sid) {
		t.Fatal("the terminated session is still listed")
	}
	if got := w.introspect(c, tk.Access); got["active"] != false {
		t.Fatalf("introspection of a terminated session's access token: %v", got)
	}
}

// pkce returns a verifier and its S256 challenge.
func pkce() (string, string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return v, base64.RawURLEncoding.EncodeToString(sum[:])
}

// signIn runs an authorization request through the login form with fields
// of the second factor page (if otpCode is not empty), and redeems the code.
func (w *world) signIn(t *testing.T, otpCode func() string) tokens {
	t.Helper()
	b := newClient(t, w.d.base).browser()
	verifier, challenge := pkce()
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {redirectURI}, "scope": {"openid profile"},
		"state": {"st-e2e"}, "nonce": {"n-e2e"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	page := b.follow(b.do("GET", "/realms/e2e/protocol/openid-connect/auth?"+q.Encode(), "", "", nil))
	if page.status != 200 || !strings.Contains(page.body, `id="sign-in"`) {
		t.Fatalf("login page: %d %s", page.status, page.body)
	}
	next := b.follow(b.submit(page, "username", "alice", "password", alicePass))
	if otpCode != nil {
		if next.status != 200 || !strings.Contains(next.body, `name="code"`) {
			t.Fatalf("second factor page: %d %s", next.status, next.body)
		}
		next = b.follow(b.submit(next, "code", otpCode()))
	}
	if next.status != 302 && next.status != 303 {
		t.Fatalf("expected the redirect to the application: %d %s", next.status, next.body)
	}
	cb, err := url.Parse(next.header.Get("Location"))
	if err != nil || cb.Scheme+"://"+cb.Host+cb.Path != redirectURI {
		t.Fatalf("redirected to %q", next.header.Get("Location"))
	}
	code := cb.Query().Get("code")
	if cb.Query().Get("state") != "st-e2e" || cb.Query().Get("iss") != w.d.base+"/realms/e2e" || code == "" {
		t.Fatalf("callback query: %v", cb.Query())
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "client_id": {"web"}}
	form.Set("code_verifier", verifier)
	tk := b.wantTokens(b.token(realm, form))
	w.redeem = func() answer { return b.token(realm, form) }
	if id := claims(t, tk.ID); id["nonce"] != "n-e2e" || id["sub"] != w.aliceID {
		t.Fatalf("id token claims: %v", id)
	}
	return tk
}

func (w *world) codeFlow(t *testing.T) {
	c := newClient(t, w.d.base)
	replayed := w.signIn(t, nil)
	if a := w.redeem(); a.status != 400 {
		t.Fatalf("a code redeemed twice = %d %s", a.status, a.body)
	}
	if a := w.refresh(c, replayed.Refresh); a.status != 400 {
		t.Fatalf("refresh of a replayed code's tokens = %d %s (the family must be revoked)", a.status, a.body)
	}
	tk := w.signIn(t, nil)
	c.want(200, "GET", "/realms/e2e/protocol/openid-connect/userinfo", tk.Access, "")
	if a := c.do("POST", "/realms/e2e/protocol/openid-connect/logout", "", "", url.Values{"client_id": {"web"}, "refresh_token": {tk.Refresh}}); a.status != 204 {
		t.Fatalf("logout = %d %s", a.status, a.body)
	}
	if a := w.refresh(c, tk.Refresh); a.status != 400 {
		t.Fatalf("refresh after logout = %d %s", a.status, a.body)
	}
	waitFor(t, 15*time.Second, "the access token to be refused after logout", func() bool {
		return c.do("GET", "/realms/e2e/protocol/openid-connect/userinfo", tk.Access, "", nil).status == 401
	})
}

func (w *world) totp(t *testing.T) {
	c := newClient(t, w.d.base)
	tk := w.password(c)
	var en struct {
		FactorID  string `json:"factorId"`
		Secret    string `json:"secret"`
		Algorithm string `json:"algorithm"`
		Digits    int    `json:"digits"`
		Period    uint   `json:"period"`
	}
	c.want(200, "POST", "/realms/e2e/account/mfa/totp", tk.Access, `{"userLabel":"Phone"}`).json(t, &en)
	if en.Secret == "" || en.FactorID == "" {
		t.Fatalf("enrolment: %+v", en)
	}
	alg := otp.AlgorithmSHA1
	switch strings.ToUpper(strings.TrimPrefix(strings.ToUpper(en.Algorithm), "HMAC")) {
	case "SHA256":
		alg = otp.AlgorithmSHA256
	case "SHA512":
		alg = otp.AlgorithmSHA512
	}
	digits := otp.DigitsSix
	if en.Digits == 8 {
		digits = otp.DigitsEight
	}
	// codeAt is the code of the step offset periods from now; each step is
	// accepted once, and the realm's window is one step either side.
	codeAt := func(offset int) string {
		code, err := totp.GenerateCodeCustom(en.Secret, time.Now().Add(time.Duration(offset)*time.Duration(en.Period)*time.Second),
			totp.ValidateOpts{Period: en.Period, Digits: digits, Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	wrong := fmt.Sprintf("%06d", (mustAtoi(codeAt(-1))+1)%1000000)
	if a := c.do("POST", "/realms/e2e/account/mfa/totp/confirm", tk.Access, fmt.Sprintf(`{"factorId":%q,"code":%q}`, en.FactorID, wrong), nil); a.status != 400 {
		t.Fatalf("confirm with a wrong code = %d %s", a.status, a.body)
	}
	c.want(200, "POST", "/realms/e2e/account/mfa/totp/confirm", tk.Access, fmt.Sprintf(`{"factorId":%q,"code":%q}`, en.FactorID, codeAt(-1)))

	// The login form now asks for the code.
	mfaTokens := w.signIn(t, func() string { return codeAt(0) })
	c.want(200, "GET", "/realms/e2e/protocol/openid-connect/userinfo", mfaTokens.Access, "")
	// The password grant without a code is refused, with the next step's
	// code it works, and that step again is refused (used once).
	form := url.Values{"grant_type": {"password"}, "client_id": {"web"}, "username": {"alice"}, "password": {alicePass}}
	if a := c.token(realm, form); a.status != 400 && a.status != 401 {
		t.Fatalf("password grant without a code = %d %s", a.status, a.body)
	}
	code := codeAt(1)
	w.password(c, "otp", code)
	form.Set("otp", code)
	if a := c.token(realm, form); a.status == 200 {
		t.Fatalf("a used code was accepted again: %s", a.body)
	}
}

func mustAtoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// mailsTo returns the mails to addr by subject.
func (w *world) mailsTo(addr string) map[string]int {
	got := map[string]int{}
	for _, m := range w.d.mails() {
		if strings.EqualFold(m.To, addr) {
			got[m.Subject]++
		}
	}
	return got
}

func (w *world) mailsArrive(t *testing.T) {
	want := map[string]int{"Welcome to E2E": 1, "Verify your email address for E2E": 1}
	waitFor(t, 30*time.Second, "the welcome and verification mails", func() bool {
		got := w.mailsTo(aliceMail)
		return got["Welcome to E2E"] >= 1 && got["Verify your email address for E2E"] >= 1
	})
	time.Sleep(500 * time.Millisecond) // a duplicate would come right behind
	if got := w.mailsTo(aliceMail); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("mails to %s: %v, want each once: %v", aliceMail, got, want)
	}
}

// deliveries counts the delivery-log rows of user by kind.
func (w *world) deliveries(c *client, user string) map[string]int {
	c.t.Helper()
	var list []map[string]any
	c.want(200, "GET", "/admin/realms/e2e/notifications?user="+user, w.admin, "").json(c.t, &list)
	got := map[string]int{}
	for _, d := range list {
		kind, _ := d["kind"].(string)
		got[kind]++
	}
	return got
}

func (w *world) userCreated(t *testing.T) {
	c := newClient(t, w.d.base)
	if w.d.kafka != nil {
		if n := countUserCreated(t, w.d.kafka, w.aliceID); n < 1 {
			t.Fatalf("user.created of alice is not on Kafka")
		}
	}
	// Its effects, once: the default roles (rbac), the welcome delivery.
	var mapped []map[string]any
	c.want(200, "GET", "/admin/realms/e2e/users/"+w.aliceID+"/role-mappings/realm", w.admin, "").json(t, &mapped)
	names := map[string]int{}
	for _, r := range mapped {
		name, _ := r["name"].(string)
		names[name]++
	}
	if names["default-roles-e2e"] != 1 || names["editor"] != 1 {
		t.Fatalf("alice's realm role mappings: %v", names)
	}
	if got := w.deliveries(c, w.aliceID); got["welcome"] != 1 || got["verify-email"] != 1 {
		t.Fatalf("alice's delivery log: %v (want one welcome, one verify-email)", got)
	}
}

// countUserCreated reads topic user.created from the start and counts the
// events (by event id) about user id.
func countUserCreated(t *testing.T, brokers []string, id string) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics("user.created"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ids := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		fetches.EachRecord(func(r *kgo.Record) {
			var ev struct {
				ID   string `json:"id"`
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if json.Unmarshal(r.Value, &ev) == nil && ev.Data.ID == id {
				ids[ev.ID] = true
			}
		})
		if len(ids) > 0 && fetches.NumRecords() == 0 {
			break
		}
	}
	return len(ids)
}

// realmImport imports Keycloak's own test realm export through the
// gateway — in the microservices, realm-service hands each part to the
// other services' internal import routes with the administrator's token —
// and logs in one of its users, whose roles come from groups, their parent
// groups and composites; the partial export masks the clients' secrets.
func (w *world) realmImport(t *testing.T) {
	c := newClient(t, w.d.base)
	raw, err := os.ReadFile("../testdata/keycloak/testrealm.json")
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Imported struct{ Users, Groups int }
	}
	c.want(201, "POST", "/admin/realms", w.admin, string(raw)).json(t, &report)
	if report.Imported.Users != 7 || report.Imported.Groups != 2 {
		t.Fatalf("import report: %+v", report)
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"roleRichUser"}, "password": {"password"}}
	deadline := time.Now().Add(20 * time.Second)
	a := c.token("test", form)
	for a.status != 200 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		a = c.token("test", form)
	}
	tk := c.wantTokens(a)
	var roles []string
	for _, r := range claims(t, tk.Access)["realm_access"].(map[string]any)["roles"].([]any) {
		roles = append(roles, r.(string))
	}
	for _, want := range []string{"admin", "user", "realm-composite-role", "sample-realm-role", "customer-user-premium"} {
		if !slices.Contains(roles, want) {
			t.Errorf("roleRichUser's token lacks %s: %v", want, roles)
		}
	}
	export := c.want(200, "POST", "/admin/realms/test/partial-export?exportClients=true&exportGroupsAndRoles=true", w.admin, "").body
	if !strings.Contains(export, `"secret":"**********"`) || strings.Contains(export, `"secret":"password"`) || strings.Contains(export, `"users"`) {
		t.Errorf("partial export: %.300s", export)
	}
}
