package auth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// Benchmarks of the token service in process, over memory stores and the
// authtest Directory (whose lookups are map reads), so that they measure
// auth itself. Run them on one core to read tokens/s per core as
// 1e9 / ns/op:
//
//	go test ./auth -run '^$' -bench . -cpu 1 -benchmem

// benchService returns a Service whose realm bench signs with alg, with the
// confidential client svc (service account, 2 realm roles, 2 client roles)
// and app (password grant), and the user alice.
func benchService(b *testing.B, alg string, users auth.UserAuthenticator, opts ...auth.Option) (*auth.Service, *authtest.Directory) {
	b.Helper()
	dir := authtest.NewDirectory()
	dir.PutRealm(realms.Realm{Name: "bench", Enabled: true, SigningAlgorithm: alg,
		BruteForce: realms.BruteForce{Enabled: true}})
	dir.PutClient(clients.Client{ID: "c-svc", Realm: "bench", ClientID: "svc", Enabled: true, ServiceAccountsEnabled: true}, "svc-secret")
	dir.PutClient(clients.Client{ID: "c-app", Realm: "bench", ClientID: "app", Enabled: true, DirectAccessGrantsEnabled: true}, "app-secret")
	u := alice
	u.Realm = "bench"
	dir.PutUser(u, "alice-password")
	roles := []string{"default-roles-bench", "offline_access"}
	clientRoles := map[string][]string{"api": {"read", "write"}}
	dir.SetRoles("bench", iam.ServiceAccountSubject("c-svc"), roles, clientRoles)
	dir.SetRoles("bench", alice.ID, roles, clientRoles)
	if users == nil {
		users = dir.Users()
	}
	svc, err := auth.New("https://id.example.com", dir.Realms(), dir.Clients(), users, dir.Roles(),
		authmem.NewKeyStore(), authmem.New(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	return svc, dir
}

// cpuMeter reports the process CPU time per operation of a benchmark loop
// ("cpu-ns/op") and the operations per CPU-second it implies ("ops/cpu-s",
// i.e. per core), which wall-clock ns/op cannot show on a shared machine.
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: processCPU()} }

func (m cpuMeter) report(b *testing.B) {
	used := processCPU() - m.start
	if used <= 0 || b.N == 0 {
		return
	}
	perOp := float64(used.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	b.ReportMetric(1e9/perOp, "ops/cpu-s")
}

var ccRequest = auth.TokenRequest{Realm: "bench", GrantType: auth.GrantClientCredentials,
	Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}}

// BenchmarkRSA2048Sign is the floor of an RS256 token: one PKCS#1 v1.5
// signature of a SHA-256 digest with a 2048-bit key.
func BenchmarkRSA2048Sign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("header.payload"))
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkClientCredentials issues service-account tokens in process.
func BenchmarkClientCredentials(b *testing.B) {
	for _, alg := range []string{realms.AlgRS256, realms.AlgES256, realms.AlgEdDSA} {
		b.Run(alg, func(b *testing.B) {
			svc, _ := benchService(b, alg, nil)
			ctx := context.Background()
			if _, err := svc.Token(ctx, ccRequest); err != nil { // creates the realm's key
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if _, err := svc.Token(ctx, ccRequest); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkRefresh rotates a refresh token per operation (ES256).
func BenchmarkRefresh(b *testing.B) {
	svc, _ := benchService(b, realms.AlgES256, nil)
	ctx := context.Background()
	tok, err := svc.Token(ctx, auth.TokenRequest{Realm: "bench", GrantType: auth.GrantPassword,
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Username: "alice", Password: "alice-password"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		tok, err = svc.Token(ctx, auth.TokenRequest{Realm: "bench", GrantType: auth.GrantRefreshToken,
			Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, RefreshToken: tok.RefreshToken})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkIntrospect introspects an RS256 access token (signature
// verification, claims, revocation check).
// BenchmarkIntrospect introspects one client-credentials token over and
// over, with and without auth.WithTokenCache (cached: the signature is
// verified once).
func BenchmarkIntrospect(b *testing.B) {
	for _, alg := range []string{realms.AlgRS256, realms.AlgES256, realms.AlgEdDSA} {
		for _, cached := range []bool{false, true} {
			name, opts := alg, []auth.Option(nil)
			if cached {
				name, opts = alg+"/cached", []auth.Option{auth.WithTokenCache(0)}
			}
			b.Run(name, func(b *testing.B) {
				svc, _ := benchService(b, alg, nil, opts...)
				ctx := context.Background()
				tok, err := svc.Token(ctx, ccRequest)
				if err != nil {
					b.Fatal(err)
				}
				req := auth.TokenRequestBase{Realm: "bench", Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"},
					Token: tok.AccessToken}
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					in, err := svc.Introspect(ctx, req)
					if err != nil || !in.Active {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// hashedUsers checks passwords against a real argon2id hash (OWASP
// parameters), as the users service does.
type hashedUsers struct {
	auth.UserAuthenticator
	user users.User
	hash string
}

func (h hashedUsers) Authenticate(ctx context.Context, realm iam.Realm, login, pw string) (users.User, error) {
	ok, err := password.Verify(h.hash, pw)
	if err != nil || !ok || login != h.user.Username {
		return users.User{}, iam.Errorf(iam.CodeUnauthenticated, "invalid user credentials")
	}
	return h.user, nil
}

// BenchmarkArgon2id is the floor of a password grant: one argon2id
// verification with OWASP's parameters (m=19 MiB, t=2, p=1).
func BenchmarkArgon2id(b *testing.B) {
	h, err := password.Hash("alice-password", password.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	cpu := startCPU()
	for b.Loop() {
		if ok, err := password.Verify(h, "alice-password"); !ok || err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkPasswordGrant logs in with the password grant (argon2id, ES256,
// session, refresh token, brute-force bookkeeping, event).
func BenchmarkPasswordGrant(b *testing.B) {
	h, err := password.Hash("alice-password", password.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	dir := authtest.NewDirectory()
	u := alice
	u.Realm = "bench"
	svc, _ := benchService(b, realms.AlgES256, hashedUsers{UserAuthenticator: dir.Users(), user: u, hash: h})
	ctx := context.Background()
	req := auth.TokenRequest{Realm: "bench", GrantType: auth.GrantPassword, IP: "192.0.2.1",
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Username: "alice", Password: "alice-password"}
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if _, err := svc.Token(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkRS256TokenOverSignature alternates one raw RSA-2048 signature and
// one RS256 client-credentials token per iteration, timing each separately,
// and reports their CPU ratio (target: at most 1.1) — measured side by side
// so that a busy machine slows both alike.
func BenchmarkRS256TokenOverSignature(b *testing.B) {
	svc, _ := benchService(b, realms.AlgRS256, nil)
	ctx := context.Background()
	if _, err := svc.Token(ctx, ccRequest); err != nil {
		b.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("header.payload"))
	var signing, issuing time.Duration
	cpu := startCPU()
	for b.Loop() {
		start := time.Now()
		if _, err := key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := svc.Token(ctx, ccRequest); err != nil {
			b.Fatal(err)
		}
		signing += mid.Sub(start)
		issuing += time.Since(mid)
	}
	cpu.report(b)
	b.ReportMetric(float64(issuing)/float64(signing), "token/sign")
	b.ReportMetric(float64(signing.Nanoseconds())/float64(b.N), "sign-ns/op")
	b.ReportMetric(float64(issuing.Nanoseconds())/float64(b.N), "token-ns/op")
}
