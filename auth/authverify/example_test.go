package authverify_test

import (
	"context"
	"log"
	"net/http"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// A resource server accepting tokens of every realm of one OpenGate
// deployment, with an endpoint that needs the realm role "orders-reader".
func ExampleVerifier_Middleware() {
	ctx := context.Background()
	v, err := authverify.New(ctx, "https://id.example.com")
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		p := iam.PrincipalFrom(r.Context())
		if p == nil {
			iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "a bearer token is required"))
			return
		}
		if !p.HasRole("orders-reader") {
			iamhttp.Error(w, r, iam.Errorf(iam.CodeForbidden, "role orders-reader required"))
			return
		}
		iamhttp.JSON(w, http.StatusOK, []string{"A-1001"})
	})
	_ = http.ListenAndServe(":9000", v.Middleware(mux))
}
