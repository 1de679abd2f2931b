package clientshttp_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/iam"
)

func TestRemoteClientMatchesTheService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	want, err := f.svc.Create(ctx, "acme", clients.Client{
		ClientID: "web", Name: "Web", Description: "d", Enabled: true, BearerOnly: true,
		StandardFlowEnabled: true, DirectAccessGrantsEnabled: true, ServiceAccountsEnabled: true,
		RedirectURIs: []string{"https://app.test/cb"}, WebOrigins: []string{"+"},
		RootURL: "https://app.test", BaseURL: "/home",
		Attributes:          map[string]string{clients.AttrAccessTokenLifespan: "60"},
		DefaultClientScopes: []string{"profile"}, OptionalClientScopes: []string{"offline_access"},
		// Keycloak's fields OpenGate stores verbatim reach the remote
		// reader too: auth applies the protocol mappers.
		Extra: iam.Extra{"protocolMappers": json.RawMessage(`[{"name":"groups","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"groups"}}]`),
			"consentRequired": json.RawMessage(`false`)},
	}, "the-right-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{} // not part of the representation
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	remote := clientshttp.NewClient(srv.URL, serviceToken)

	got, err := remote.Get(ctx, "acme", want.ID)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, %v\nwant %+v", got, err, want)
	}
	got, err = remote.GetByClientID(ctx, "acme", "web")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("GetByClientID = %+v, %v", got, err)
	}
	got, err = remote.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	pub, err := f.svc.Create(ctx, "acme", clients.Client{ClientID: "odd+id?&=/#", Enabled: true, PublicClient: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := remote.GetByClientID(ctx, "acme", "odd+id?&=/#"); err != nil || got.ID != pub.ID {
		t.Fatalf("clientId needing escapes: %+v, %v", got.ID, err)
	}
	origins, err := remote.WebOrigins(ctx, "acme")
	if want, _ := f.svc.WebOrigins(ctx, "acme"); err != nil || !reflect.DeepEqual(origins, want) || len(origins) != 1 {
		t.Fatalf("WebOrigins = %q, %v; want the service's %q", origins, err, want)
	}
	if _, err := clientshttp.NewClient(srv.URL, "wrong-token").WebOrigins(ctx, "acme"); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("WebOrigins with a wrong service token = %v, want forbidden", err)
	}
}

func TestRemoteClientErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, "the-right-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	remote := clientshttp.NewClient(srv.URL, serviceToken)
	tests := []struct {
		name string
		call func(c *clientshttp.Client) error
		code iam.Code
	}{
		{"WrongSecret", func(c *clientshttp.Client) error {
			_, err := c.Authenticate(ctx, "acme", "web", "the-wrong-secret-0123456789")
			return err
		}, iam.CodeUnauthenticated},
		{"UnknownClientAuthenticates401", func(c *clientshttp.Client) error {
			_, err := c.Authenticate(ctx, "acme", "nobody", "x")
			return err
		}, iam.CodeUnauthenticated},
		{"MalformedRealmAuthenticates401", func(c *clientshttp.Client) error {
			_, err := c.Authenticate(ctx, "Bad Realm", "web", "x")
			return err
		}, iam.CodeUnauthenticated},
		{"MissingByID", func(c *clientshttp.Client) error {
			_, err := c.Get(ctx, "acme", iam.NewID())
			return err
		}, iam.CodeNotFound},
		{"OtherRealm", func(c *clientshttp.Client) error {
			_, err := c.GetByClientID(ctx, "beta", "web")
			return err
		}, iam.CodeNotFound},
		{"WrongServiceTokenIsForbiddenNotUnauthenticated", func(*clientshttp.Client) error {
			_, err := clientshttp.NewClient(srv.URL, "wrong").Authenticate(ctx, "acme", "web", "the-right-secret-0123456789")
			return err
		}, iam.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(remote); iam.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
	srv.Close()
	if _, err := remote.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("server down: %v", err)
	}
}

func TestCachedRemoteAuthentication(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.svc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, "the-right-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.h)
	cached := clients.NewCachedReader(clientshttp.NewClient(srv.URL, serviceToken))
	if _, err := cached.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	srv.Close() // from now on only the cache can answer
	if got, err := cached.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789"); err != nil || got.ID != c.ID {
		t.Fatalf("cached authentication = %+v, %v", got.ID, err)
	}
	if _, err := cached.Authenticate(ctx, "acme", "web", "the-wrong-secret-0123456789"); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("a wrong secret must not be answered from the cache: %v", err)
	}
}
