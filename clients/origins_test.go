package clients_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

func TestClientOrigins(t *testing.T) {
	tests := []struct {
		name string
		c    clients.Client
		want []string
	}{
		{"Listed", clients.Client{Enabled: true, WebOrigins: []string{"https://a.test"}}, []string{"https://a.test"}},
		{"PlusIsTheRedirectURIsOrigins", clients.Client{Enabled: true, WebOrigins: []string{"+"},
			RedirectURIs: []string{"https://App.Test:8443/cb", "http://127.0.0.1:9000/cb", "com.example.app:/cb"}},
			[]string{"https://app.test:8443", "http://127.0.0.1:9000"}},
		{"NoWebOriginsNoneAllowed", clients.Client{Enabled: true, RedirectURIs: []string{"https://a.test/cb"}}, nil},
		{"DisabledClientAllowsNone", clients.Client{WebOrigins: []string{"https://a.test"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clients.ClientOrigins(tt.c); !slices.Equal(got, tt.want) {
				t.Fatalf("= %q, want %q", got, tt.want)
			}
		})
	}
}

// createIn creates c in realm.
func createIn(t *testing.T, svc *clients.Service, realm iam.Realm, c clients.Client) {
	t.Helper()
	if _, err := svc.Create(context.Background(), realm, c, ""); err != nil {
		t.Fatal(err)
	}
}

func TestWebOriginsOfARealm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	createIn(t, f.svc, "acme", clients.Client{ClientID: "spa", Enabled: true, PublicClient: true, StandardFlowEnabled: true,
		RedirectURIs: []string{"https://spa.acme.test/cb"}, WebOrigins: []string{"+", "https://cdn.acme.test"}})
	createIn(t, f.svc, "acme", clients.Client{ClientID: "off", Enabled: false, PublicClient: true, StandardFlowEnabled: true,
		RedirectURIs: []string{"https://off.acme.test/cb"}, WebOrigins: []string{"+"}})
	createIn(t, f.svc, "beta", clients.Client{ClientID: "other", Enabled: true, PublicClient: true, StandardFlowEnabled: true,
		RedirectURIs: []string{"https://beta.test/cb"}, WebOrigins: []string{"+"}})
	got, err := f.svc.WebOrigins(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://cdn.acme.test", "https://spa.acme.test"}; !slices.Equal(got, want) {
		t.Fatalf("acme's origins = %q, want %q (disabled clients and other realms excluded)", got, want)
	}
	if got, err := f.svc.WebOrigins(ctx, "empty"); err != nil || len(got) != 0 {
		t.Fatalf("a realm without clients: %q %v", got, err)
	}
	if _, err := f.svc.WebOrigins(ctx, "Not A Realm!"); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("malformed realm: %v", err)
	}
}

func TestWebOriginsReadsEveryPage(t *testing.T) {
	f := newFixture(t)
	for i := range clients.MaxPageSize + 2 {
		createIn(t, f.svc, "big", clients.Client{ClientID: fmt.Sprintf("c%04d", i), Enabled: true, PublicClient: true,
			WebOrigins: []string{fmt.Sprintf("https://c%04d.test", i)}})
	}
	got, err := f.svc.WebOrigins(context.Background(), "big")
	if err != nil || len(got) != clients.MaxPageSize+2 {
		t.Fatalf("%d origins (%v), want %d", len(got), err, clients.MaxPageSize+2)
	}
}
