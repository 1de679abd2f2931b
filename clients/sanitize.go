package clients

import (
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Dropped is a value DropUnsupported took out of a client, and why.
type Dropped struct {
	// Field is the ClientRepresentation's field ("redirectUris",
	// "attributes.pkce.code.challenge.method").
	Field  string
	Value  string
	Reason string
}

// DropUnsupported returns c without the values Keycloak takes but OpenGate
// refuses, and what it took out: redirect URIs with wildcards or relative
// to rootUrl, web origins it cannot check ("*"), rootUrl and baseUrl
// holding Keycloak's placeholders (${authBaseUrl}), such post-logout
// redirect URIs, PKCE "plain", and out-of-range token settings. A realm
// import brings a Keycloak client in without them and reports them,
// rather than failing; other problems (a malformed clientId) are left to
// Validate.
func DropUnsupported(c Client) (Client, []Dropped) {
	c = c.Clone()
	var dropped []Dropped
	drop := func(field, value string, err error) {
		dropped = append(dropped, Dropped{Field: field, Value: value, Reason: iam.ErrorMessage(err)})
	}
	c.RedirectURIs = slices.DeleteFunc(c.RedirectURIs, func(u string) bool {
		err := ValidateRedirectURI(u)
		if err != nil {
			drop("redirectUris", u, err)
		}
		return err != nil
	})
	c.WebOrigins = slices.DeleteFunc(c.WebOrigins, func(o string) bool {
		if o == "+" {
			return false
		}
		err := realms.ValidateOrigin(o)
		if err != nil {
			drop("webOrigins", o, err)
		}
		return err != nil
	})
	if err := validateAbsoluteURL("rootUrl", c.RootURL, false); err != nil {
		drop("rootUrl", c.RootURL, err)
		c.RootURL = ""
	}
	if err := validateAbsoluteURL("baseUrl", c.BaseURL, true); err != nil {
		drop("baseUrl", c.BaseURL, err)
		c.BaseURL = ""
	}
	if raw, ok := c.Attributes[AttrPostLogoutRedirectURIs]; ok {
		var kept []string
		for _, u := range strings.Split(raw, "##") {
			if u == "" {
				continue
			}
			if u != "+" {
				if err := ValidateRedirectURI(u); err != nil {
					drop("attributes."+AttrPostLogoutRedirectURIs, u, err)
					continue
				}
			}
			kept = append(kept, u)
		}
		c.Attributes[AttrPostLogoutRedirectURIs] = strings.Join(kept, "##")
	}
	for _, k := range []string{AttrPKCEMethod, AttrAccessTokenLifespan, AttrAccessTokenJWTType} {
		v, ok := c.Attributes[k]
		if !ok {
			continue
		}
		if err := validateAttributes(map[string]string{k: v}); err != nil {
			drop("attributes."+k, v, err)
			delete(c.Attributes, k)
		}
	}
	return c, dropped
}
