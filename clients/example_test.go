package clients_test

import (
	"context"
	"fmt"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
)

func Example() {
	ctx := context.Background()
	svc := clients.New(clientsmem.New(nil))
	c, err := svc.Create(ctx, "acme", clients.Client{
		ClientID: "web", Enabled: true, StandardFlowEnabled: true,
		RedirectURIs: []string{"https://app.example.com/callback", "http://127.0.0.1/cb"},
	}, "")
	if err != nil {
		panic(err)
	}
	secret, _ := svc.Secret(ctx, "acme", c.ID)
	_, err = svc.Authenticate(ctx, "acme", "web", secret)
	fmt.Println(err)
	_, err = svc.Authenticate(ctx, "acme", "web", "guess")
	fmt.Println(iam.ErrorCode(err))
	fmt.Println(clients.MatchRedirectURI(c, "http://127.0.0.1:49152/cb"))
	fmt.Println(clients.MatchRedirectURI(c, "https://app.example.com/callback#x"))
	// Output:
	// <nil>
	// unauthenticated
	// true
	// false
}
