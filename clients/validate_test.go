package clients_test

import (
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

func validClient() clients.Client {
	return clients.Client{ClientID: "web", Enabled: true, StandardFlowEnabled: true,
		RedirectURIs: []string{"https://app.test/cb"}, WebOrigins: []string{"+", "https://app.test"},
		RootURL: "https://app.test", BaseURL: "/home",
		Attributes:          map[string]string{clients.AttrPKCEMethod: "S256", clients.AttrAccessTokenLifespan: "120"},
		DefaultClientScopes: []string{"profile", "email"}}
}

func TestClientValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field  string
		change func(*clients.Client)
	}{
		{"clientId", func(c *clients.Client) { c.ClientID = "" }},
		{"clientId", func(c *clients.Client) { c.ClientID = "has space" }},
		{"clientId", func(c *clients.Client) { c.ClientID = strings.Repeat("x", 256) }},
		{"name", func(c *clients.Client) { c.Name = "a\x00b" }},
		{"serviceAccountsEnabled", func(c *clients.Client) { c.PublicClient, c.ServiceAccountsEnabled = true, true }},
		{"bearerOnly", func(c *clients.Client) { c.PublicClient, c.BearerOnly = true, true }},
		{"redirectUris", func(c *clients.Client) { c.RedirectURIs = []string{"https://app.test/*"} }},
		{"redirectUris", func(c *clients.Client) { c.RedirectURIs = []string{"http://app.test/cb"} }},
		{"webOrigins", func(c *clients.Client) { c.WebOrigins = []string{"*"} }},
		{"webOrigins", func(c *clients.Client) { c.WebOrigins = []string{"https://app.test/path"} }},
		{"rootUrl", func(c *clients.Client) { c.RootURL = "javascript:alert(1)" }},
		{"rootUrl", func(c *clients.Client) { c.RootURL = "/relative" }},
		{"baseUrl", func(c *clients.Client) { c.BaseURL = "//evil.test/x" }},
		{"defaultClientScopes", func(c *clients.Client) { c.DefaultClientScopes = []string{"two words"} }},
		{"optionalClientScopes", func(c *clients.Client) { c.OptionalClientScopes = []string{""} }},
		{"attributes.pkce.code.challenge.method", func(c *clients.Client) { c.Attributes[clients.AttrPKCEMethod] = "plain" }},
		{"attributes.access.token.lifespan", func(c *clients.Client) { c.Attributes[clients.AttrAccessTokenLifespan] = "forever" }},
		{"attributes.access.token.lifespan", func(c *clients.Client) { c.Attributes[clients.AttrAccessTokenLifespan] = "0" }},
		{"attributes.post.logout.redirect.uris", func(c *clients.Client) {
			c.Attributes[clients.AttrPostLogoutRedirectURIs] = "https://app.test/bye##javascript:x"
		}},
		{"attributes.access.token.header.type.rfc9068", func(c *clients.Client) { c.Attributes[clients.AttrAccessTokenJWTType] = "yes" }},
		{"attributes", func(c *clients.Client) { c.Attributes[""] = "x" }},
		{"attributes.note", func(c *clients.Client) { c.Attributes["note"] = "a\x00b" }},
		{"description", func(c *clients.Client) { c.Description = "a\x00b" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			c := validClient()
			tt.change(&c)
			err := c.Validate()
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, iam.ErrorField(err), tt.field)
			}
		})
	}
	if err := validClient().Validate(); err != nil {
		t.Fatalf("valid client rejected: %v", err)
	}
}

func TestAccessTokenLifespanAttribute(t *testing.T) {
	if got := validClient().AccessTokenLifespan(); got != 120 {
		t.Fatalf("AccessTokenLifespan = %d", got)
	}
	if got := (clients.Client{}).AccessTokenLifespan(); got != 0 {
		t.Fatalf("unset AccessTokenLifespan = %d", got)
	}
}
