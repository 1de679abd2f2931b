// Command embedded shows OpenGate inside your own Go server: the identity
// provider assembled by opengate.New, in memory, on one mux next to your own
// API, which accepts only tokens OpenGate issued and checks a role in them.
//
// It sets up a realm "shop" with a confidential client "orders-cli" whose
// service account holds the realm role "orders-reader", then serves:
//
//	/realms/shop/protocol/openid-connect/token   OpenGate's token endpoint
//	/api/orders                                  your API: needs orders-reader
//
// README.md beside this file runs it with curl:
//
//	go run ./examples/embedded &    # -addr localhost:8090 (the default)
//	TOKEN=$(curl -s -u orders-cli:orders-secret-change-me -d grant_type=client_credentials \
//	  http://localhost:8090/realms/shop/protocol/openid-connect/token | jq -r .access_token)
//	curl -s http://localhost:8090/api/orders -H "Authorization: Bearer $TOKEN"
//
// -addr sets the listen address (default localhost:8090, clear of
// OpenGate's service ports 8080-8088); the issuer is http://{addr}.
//
// For PostgreSQL, Redis and Kafka, set Databases (opengate.OpenDatabases),
// SecretKey, Redis, Publisher and Subscriber in opengate.Config — see
// cmd/opengate.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/realms"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := flag.String("addr", "localhost:8090", "listen address; the issuer base is http://{addr}")
	flag.Parse()
	if err := run(ctx, *addr, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// The example's fixed setup. A real server reads the secret from its
// configuration.
const realm iam.Realm = "shop"

const (
	clientID     = "orders-cli"
	clientSecret = "orders-secret-change-me"
	readerRole   = "orders-reader"
)

// run serves OpenGate and the orders API on addr until ctx ends.
func run(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	issuerBase := "http://" + ln.Addr().String()

	// 1. OpenGate: every service in memory, an in-process event bus, and
	// the consumers that keep the services consistent (Run).
	srv, err := opengate.New(ctx, opengate.Config{IssuerBase: issuerBase, Logger: slog.Default()})
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	defer func() { cancel(); <-ran }()

	// 2. The realm, the client and its service account's role.
	if err := setup(ctx, srv.Realms, srv.Clients, srv.RBAC); err != nil {
		return err
	}

	// 3. OpenGate's API at the root, your API beside it, protected by
	// tokens of the realm.
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler()) // discovery, token, certs, userinfo, admin API, ...
	mux.Handle("GET /api/orders", srv.Verifier.Middleware(requireRealmRole(realm, readerRole)(http.HandlerFunc(listOrders))))

	fmt.Fprintf(stdout, "listening on %s\n", issuerBase)
	return iamhttp.ServeListener(ctx, ln, mux)
}

// setup creates the realm "shop", the confidential client "orders-cli" with a
// service account, and gives that account the role "orders-reader".
func setup(ctx context.Context, realmSvc *realms.Service, clientSvc *clients.Service, roleSvc *rbac.Service) error {
	if _, err := realmSvc.Create(ctx, realms.Realm{Name: realm, Enabled: true}); err != nil {
		return err
	}
	if err := roleSvc.EnsureRealmDefaults(ctx, realm); err != nil {
		return err
	}
	c, err := clientSvc.Create(ctx, realm, clients.Client{
		ClientID:               clientID,
		Enabled:                true,
		ServiceAccountsEnabled: true,
	}, clientSecret)
	if err != nil {
		return err
	}
	if _, err := roleSvc.CreateRole(ctx, realm, rbac.Role{Name: readerRole}); err != nil {
		return err
	}
	return roleSvc.AssignRealmRoles(ctx, realm, iam.ServiceAccountSubject(c.ID), readerRole)
}

// requireRealmRole admits only principals of realm holding role: 401 without
// a token, 403 for another realm's token or a token without the role.
func requireRealmRole(realm iam.Realm, role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := iam.PrincipalFrom(r.Context())
			switch {
			case p == nil:
				iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "a bearer token is required"))
			case p.Realm != realm || !p.HasRole(role):
				iamhttp.Error(w, r, iam.Errorf(iam.CodeForbidden, "role %s required", role))
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// listOrders is your business logic; it knows who is calling.
func listOrders(w http.ResponseWriter, r *http.Request) {
	p := iam.PrincipalFrom(r.Context())
	iamhttp.JSON(w, http.StatusOK, map[string]any{
		"caller": p.ClientID,
		"orders": []string{"A-1001", "A-1002"},
	})
}
