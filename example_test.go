package opengate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam"
)

// OpenGate in memory inside your own server: its API at the root of your mux,
// your routes beside it behind its token verifier.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, opengate.Config{
		IssuerBase: "http://localhost:8080",
		Admin:      &opengate.Admin{Username: "admin", Password: "change-me-Passw0rd"},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	defer func() { cancel(); <-ran }()

	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler())
	mux.Handle("GET /api/me", srv.Verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := iam.PrincipalFrom(r.Context()); p != nil {
			fmt.Fprintf(w, "hello %s of %s", p.Username, p.Realm)
			return
		}
		http.Error(w, "a bearer token is required", http.StatusUnauthorized)
	})))
	// http.ListenAndServe(":8080", mux)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/realms/master/.well-known/openid-configuration", nil))
	var discovery struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &discovery)
	fmt.Println(rec.Code, discovery.Issuer)
	fmt.Println(discovery.TokenEndpoint)
	// Output:
	// 200 http://localhost:8080/realms/master
	// http://localhost:8080/realms/master/protocol/openid-connect/token
}
