package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

func TestEveryPublicRouteIsReachableWithoutAToken(t *testing.T) {
	u := services(t)
	g := newGateway(t, u)
	n := 0
	for _, rt := range routesOf(t, u) {
		if rt.Access != gateway.Public {
			continue
		}
		for _, deeper := range []bool{false, true} {
			if deeper && !strings.HasSuffix(rt.Path, "/*") {
				continue
			}
			path := concrete(rt.Path, "acme", deeper)
			for _, method := range []string{"GET", "POST"} {
				n++
				rec := do(g, request{method: method, path: path})
				s := seenBy(t, rec)
				if s.Path != path || s.Method != method {
					t.Errorf("%s %s (route %s) reached %s %s", method, path, rt.Path, s.Method, s.Path)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d public requests: the table lost its public routes", n)
	}
	// Public routes pass whatever token they carry: the upstream
	// authenticates (userinfo answers RFC 6750 errors itself).
	rec := do(g, request{path: "/realms/acme/protocol/openid-connect/userinfo", token: "not-a-token"})
	if s := seenBy(t, rec); s.Header["Authorization"][0] != "Bearer not-a-token" {
		t.Fatalf("userinfo's token was not passed on: %v", s.Header["Authorization"])
	}
}

func TestEveryProtectedRouteRefusesMissingAndBadTokens(t *testing.T) {
	u := services(t)
	g := newGateway(t, u)
	forged := forgedTokens()
	n := 0
	for _, rt := range routesOf(t, u) {
		if rt.Access != gateway.Protected {
			continue
		}
		path := concrete(rt.Path, "acme", true)
		realm := ""
		if strings.Contains(rt.Path, "{realm}") {
			realm = ` realm="acme"`
		}
		n++
		t.Run(rt.Path, func(t *testing.T) {
			rec := do(g, request{method: "DELETE", path: path})
			if want := "Bearer" + realm; rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != want {
				t.Errorf("no token: %d, WWW-Authenticate %q; want 401, %q", rec.Code, rec.Header().Get("WWW-Authenticate"), want)
			}
			for name, tok := range forged {
				rec := do(g, request{method: "DELETE", path: path, token: tok})
				want := "Bearer" + realm
				if realm != "" {
					want += ","
				}
				want += ` error="invalid_token", error_description="`
				if rec.Code != 401 || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), want) {
					t.Errorf("%s token: %d, WWW-Authenticate %q; want 401, %q...", name, rec.Code, rec.Header().Get("WWW-Authenticate"), want)
				}
				if strings.Contains(rec.Body.String(), tok) {
					t.Errorf("%s token: the answer repeats the token", name)
				}
			}
			if s := seenBy(t, do(g, request{method: "DELETE", path: path, token: token("acme", "alice")})); s.Path != path {
				t.Errorf("a valid token reached %s", s.Path)
			}
		})
	}
	if n < 15 {
		t.Fatalf("only %d protected routes", n)
	}
}

func TestExpiredTokenSaysSo(t *testing.T) {
	g := newGateway(t, services(t))
	rec := do(g, request{path: "/admin/realms/acme/users", token: forgedTokens()["Expired"]})
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="acme", error="invalid_token", error_description="token expired"` {
		t.Fatalf("WWW-Authenticate = %q", got)
	}
}

func TestTheTokensRealmMustBeThePaths(t *testing.T) {
	g := newGateway(t, services(t))
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"SameRealm", "/admin/realms/acme/users", token("acme", "alice", "realm-admin"), 200},
		{"OtherRealmIsForbidden", "/admin/realms/acme/users", token("beta", "bob", "realm-admin", "admin"), 403},
		{"OtherRealmOnTheAccountPages", "/realms/acme/account", token("beta", "bob"), 403},
		{"MasterAdminAdministersEveryRealm", "/admin/realms/acme/users", token("master", "root", "admin"), 200},
		{"MasterRealmAdminIsNoMasterAdmin", "/admin/realms/acme/users", token("master", "mra", "realm-admin"), 403},
		{"MasterUserIsNoMasterAdmin", "/realms/acme/account", token("master", "someone"), 403},
		{"PathsWithoutRealmTakeAnyRealm", "/admin/realms", token("beta", "bob", "realm-admin"), 200},
		{"PublicRoutesAreNotChecked", "/realms/acme/protocol/openid-connect/userinfo", token("beta", "bob"), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(g, request{path: tt.path, token: tt.token})
			if rec.Code != tt.status {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, rec.Code, rec.Body, tt.status)
			}
			if tt.status == 403 && !strings.Contains(rec.Body.String(), `"error":"forbidden"`) {
				t.Fatalf("body %s", rec.Body)
			}
		})
	}
}

func TestOptionalRoutesPassAnonymousRequests(t *testing.T) {
	g := newGateway(t, services(t))
	s := seenBy(t, do(g, request{path: "/realms/acme/account", header: http.Header{"Cookie": {"session=abc"}}}))
	if s.Upstream != "users" || s.Header["Cookie"][0] != "session=abc" {
		t.Fatalf("anonymous account page: %+v", s)
	}
	if rec := do(g, request{path: "/realms/acme/account", token: forgedTokens()["AlgNone"]}); rec.Code != 401 {
		t.Fatalf("a forged token on an optional route = %d, want 401", rec.Code)
	}
}

func TestTheOriginalTokenIsForwarded(t *testing.T) {
	g := newGateway(t, services(t))
	tok := token("acme", "alice")
	s := seenBy(t, do(g, request{path: "/admin/realms/acme/users", token: tok}))
	if got := s.Header["Authorization"]; len(got) != 1 || got[0] != "Bearer "+tok {
		t.Fatalf("upstream got Authorization %v", got)
	}
}

// failingVerifier cannot reach its keys.
type failingVerifier struct{}

func (failingVerifier) Verify(_ context.Context, _ string) (*iam.Principal, error) {
	return nil, iam.Errorf(iam.CodeUnavailable, "signing keys unavailable")
}

func TestAVerifierThatCannotDecideIs503(t *testing.T) {
	routes := routesOf(t, services(t))
	g, err := gateway.New(routes, gateway.WithVerifier(failingVerifier{}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(g, request{path: "/admin/realms/acme/users", token: token("acme", "alice")})
	if rec.Code != 503 || rec.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("= %d (WWW-Authenticate %q), want 503 without a challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

func TestNewRefusesProtectedRoutesWithoutVerifier(t *testing.T) {
	_, err := gateway.New(routesOf(t, services(t)), quiet)
	if err == nil || !strings.Contains(err.Error(), "WithVerifier") {
		t.Fatalf("New without verifier = %v", err)
	}
}
