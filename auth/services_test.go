package auth_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
)

// The in-process services satisfy auth's interfaces as they are.
var (
	_ auth.RealmGetter         = (*realms.Service)(nil)
	_ auth.RealmGetter         = (*realms.CachedGetter)(nil)
	_ auth.ClientAuthenticator = (*clients.Service)(nil)
	_ auth.ClientAuthenticator = (*clients.CachedReader)(nil)
	_ auth.UserAuthenticator   = (*users.Service)(nil)
	_ auth.UserFinder          = (*users.Service)(nil)
	_ auth.RoleResolver        = (*rbac.Service)(nil)
)

// TestWithTheRealServices runs the password and client-credentials grants
// against the realms, clients, users and rbac services (memory stores), so
// that the contracts auth relies on — one error for every credential
// failure with a telling cause, service-account subjects, Find for
// per-user brute-force counting — hold for the real implementations.
func TestWithTheRealServices(t *testing.T) {
	ctx := context.Background()
	realmSvc := realms.New(realmsmem.New(nil))
	if _, err := realmSvc.Create(ctx, realms.Realm{Name: "acme", Enabled: true,
		BruteForce: realms.BruteForce{Enabled: true, FailureFactor: 2, WaitIncrement: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	clientSvc := clients.New(clientsmem.New(nil))
	billing, err := clientSvc.Create(ctx, "acme", clients.Client{ClientID: "billing", Enabled: true,
		ServiceAccountsEnabled: true, DirectAccessGrantsEnabled: true}, "billing-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	userSvc := users.New(usersmem.New(nil), realmSvc)
	u, err := userSvc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true},
		users.NewCredential{Value: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	rbacSvc := rbac.New(rbacmem.New(nil))
	if _, err := rbacSvc.CreateRole(ctx, "acme", rbac.Role{Name: "auditor"}); err != nil {
		t.Fatal(err)
	}
	if err := rbacSvc.AssignRealmRoles(ctx, "acme", u.ID, "auditor"); err != nil {
		t.Fatal(err)
	}
	events := &eventLog{}
	svc, err := auth.New("http://localhost:8080", realmSvc, clientSvc, userSvc, rbacSvc,
		authmem.NewKeyStore(), authmem.New(), auth.WithPublisher(events), auth.WithUserFinder(userSvc))
	if err != nil {
		t.Fatal(err)
	}
	client := auth.ClientCredentials{ClientID: "billing", Secret: "billing-secret-0123456789"}
	login := func(name, pw string) (*auth.Tokens, error) {
		return svc.Token(ctx, auth.TokenRequest{Realm: "acme", GrantType: auth.GrantPassword, Client: client,
			Username: name, Password: pw, IP: "192.0.2.1"})
	}

	tok, err := login("alice@example.com", "correct horse battery staple")
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	claims, err := svc.VerifyAccessToken(ctx, "acme", tok.AccessToken)
	if err != nil || claims.Subject != u.ID || claims.RealmAccess == nil || !slices.Contains(claims.RealmAccess.Roles, "auditor") {
		t.Fatalf("claims = %+v, %v", claims, err)
	}
	cc, err := svc.Token(ctx, auth.TokenRequest{Realm: "acme", GrantType: auth.GrantClientCredentials, Client: client})
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	if c, _ := svc.VerifyAccessToken(ctx, "acme", cc.AccessToken); c == nil || c.Subject != iam.ServiceAccountSubject(billing.ID) {
		t.Fatalf("service-account subject = %+v", c)
	}

	_, err = login("alice", "wrong")
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	_, err = login("nobody", "wrong")
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	disabled := false
	if _, err := userSvc.Update(ctx, "acme", u.ID, users.Patch{Enabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	_, err = login("alice", "correct horse battery staple")
	wantOAuth(t, err, auth.ErrorInvalidGrant)

	var reasons []string
	for _, e := range events.ofType(iam.TopicLoginFailure) {
		var d auth.LoginFailureEvent
		_ = e.Decode(&d)
		reasons = append(reasons, d.Reason)
	}
	want := []string{auth.ReasonInvalidCredentials, auth.ReasonUserNotFound, auth.ReasonUserDisabled}
	if !slices.Equal(reasons, want) {
		t.Fatalf("reasons = %v, want %v", reasons, want)
	}
	st, err := svc.BruteForceStatus(ctx, "acme", u.ID)
	if err != nil || st.NumFailures != 2 {
		t.Fatalf("per-user failures = %+v, %v (Find must name the user)", st, err)
	}
}
