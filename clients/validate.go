package clients

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Bounds on client settings.
const (
	MaxClientIDLength    = 255
	MaxNameLength        = 255
	MaxDescriptionLength = 2048
	MaxURIs              = 100
	MaxScopes            = 100
	MaxAttributes        = 100
	MaxAttributeKey      = 255
	MaxAttributeValue    = 8192
	MaxSecretLength      = 512
	// MinSecretLength is the shortest secret accepted on create; generated
	// secrets have 256 bits (43 characters).
	MinSecretLength = 16
	// MaxAccessTokenLifespanSeconds bounds the access.token.lifespan attribute.
	MaxAccessTokenLifespanSeconds = 86400
)

// Clone returns a deep copy of c: its slices and maps are not shared.
func (c Client) Clone() Client {
	c.RedirectURIs = cloneStrings(c.RedirectURIs)
	c.WebOrigins = cloneStrings(c.WebOrigins)
	c.DefaultClientScopes = cloneStrings(c.DefaultClientScopes)
	c.OptionalClientScopes = cloneStrings(c.OptionalClientScopes)
	if c.Attributes != nil {
		m := make(map[string]string, len(c.Attributes))
		for k, v := range c.Attributes {
			m[k] = v
		}
		c.Attributes = m
	}
	c.Extra = c.Extra.Clone()
	return c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

// Validate checks c and returns the first problem as CodeInvalid naming the
// field by its ClientRepresentation name ("clientId", "redirectUris",
// "attributes.pkce.code.challenge.method", ...). It does not check ID or
// Realm, which the service assigns.
func (c Client) Validate() error {
	if c.ClientID == "" || len(c.ClientID) > MaxClientIDLength || !utf8.ValidString(c.ClientID) || hasControlOrSpace(c.ClientID) {
		return iam.Invalidf("clientId", "clientId must be 1 to %d characters without spaces", MaxClientIDLength)
	}
	if len(c.Name) > MaxNameLength || !utf8.ValidString(c.Name) || hasControl(c.Name) {
		return iam.Invalidf("name", "name must be at most %d printable characters", MaxNameLength)
	}
	if len(c.Description) > MaxDescriptionLength || !iam.IsText(c.Description) {
		return iam.Invalidf("description", "description must be at most %d characters of text (no control characters but tab and newlines)", MaxDescriptionLength)
	}
	if c.PublicClient && c.ServiceAccountsEnabled {
		return iam.Invalidf("serviceAccountsEnabled", "a public client cannot use service accounts (client credentials need a secret)")
	}
	if c.PublicClient && c.BearerOnly {
		return iam.Invalidf("bearerOnly", "a client cannot be both public and bearer-only")
	}
	if len(c.RedirectURIs) > MaxURIs {
		return iam.Invalidf("redirectUris", "at most %d redirect URIs", MaxURIs)
	}
	for _, u := range c.RedirectURIs {
		if err := ValidateRedirectURI(u); err != nil {
			return err
		}
	}
	if len(c.WebOrigins) > MaxURIs {
		return iam.Invalidf("webOrigins", "at most %d web origins", MaxURIs)
	}
	for _, o := range c.WebOrigins {
		if o == "+" {
			continue // Keycloak: the origins of the redirect URIs
		}
		if err := realms.ValidateOrigin(o); err != nil {
			return iam.Invalidf("webOrigins", "webOrigins: %s (use \"+\" for the redirect URIs' origins)", iam.ErrorMessage(err))
		}
	}
	if err := validateAbsoluteURL("rootUrl", c.RootURL, false); err != nil {
		return err
	}
	if err := validateAbsoluteURL("baseUrl", c.BaseURL, true); err != nil {
		return err
	}
	if err := validateScopes("defaultClientScopes", c.DefaultClientScopes); err != nil {
		return err
	}
	if err := validateScopes("optionalClientScopes", c.OptionalClientScopes); err != nil {
		return err
	}
	return validateAttributes(c.Attributes)
}

// validateAbsoluteURL accepts "", an http(s) URL with a host, and (when
// relative) a path starting with "/".
func validateAbsoluteURL(field, s string, relative bool) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxRedirectURILength || hasControlOrSpace(s) {
		return iam.Invalidf(field, "%s must be a URL of at most %d bytes", field, MaxRedirectURILength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return iam.Invalidf(field, "%s is not a URL", field)
	}
	if relative && u.Scheme == "" && u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return nil
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return iam.Invalidf(field, "%s must be an http(s) URL", field)
	}
	return nil
}

func validateScopes(field string, scopes []string) error {
	if len(scopes) > MaxScopes {
		return iam.Invalidf(field, "at most %d scopes", MaxScopes)
	}
	for _, s := range scopes {
		if s == "" || len(s) > 255 || hasControlOrSpace(s) || strings.ContainsAny(s, `"\`) {
			return iam.Invalidf(field, "%s: scope names must be 1 to 255 characters without spaces or quotes", field)
		}
	}
	return nil
}

func validateAttributes(attrs map[string]string) error {
	if len(attrs) > MaxAttributes {
		return iam.Invalidf("attributes", "at most %d attributes", MaxAttributes)
	}
	for k, v := range attrs {
		if k == "" || len(k) > MaxAttributeKey || !utf8.ValidString(k) || hasControl(k) {
			return iam.Invalidf("attributes", "attribute names must be 1 to %d printable characters", MaxAttributeKey)
		}
		if len(v) > MaxAttributeValue {
			return iam.Invalidf("attributes."+k, "attribute %q is longer than %d bytes", truncate(k, 50), MaxAttributeValue)
		}
		if !iam.IsText(v) {
			return iam.Invalidf("attributes."+k, "attribute %q must be UTF-8 without control characters other than tab and newlines", truncate(k, 50))
		}
	}
	if m := attrs[AttrPKCEMethod]; m != "" && m != "S256" {
		return iam.Invalidf("attributes."+AttrPKCEMethod, "%s must be S256 (or empty); plain is not allowed (RFC 9700)", AttrPKCEMethod)
	}
	if raw := attrs[AttrPostLogoutRedirectURIs]; raw != "" {
		for _, u := range strings.Split(raw, "##") {
			if u == "+" || u == "" {
				continue
			}
			if err := ValidateRedirectURI(u); err != nil {
				return iam.Invalidf("attributes."+AttrPostLogoutRedirectURIs, "%s", iam.ErrorMessage(err))
			}
		}
	}
	if s := attrs[AttrAccessTokenLifespan]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxAccessTokenLifespanSeconds {
			return iam.Invalidf("attributes."+AttrAccessTokenLifespan, "%s must be a number of seconds between 1 and %d", AttrAccessTokenLifespan, MaxAccessTokenLifespanSeconds)
		}
	}
	if s := attrs[AttrAccessTokenJWTType]; s != "" && s != "true" && s != "false" {
		return iam.Invalidf("attributes."+AttrAccessTokenJWTType, "%s must be true or false", AttrAccessTokenJWTType)
	}
	return nil
}

// validateSecret checks a secret given on create.
func validateSecret(s string) error {
	if len(s) < MinSecretLength || len(s) > MaxSecretLength || hasControlOrSpace(s) {
		return iam.Invalidf("secret", "secret must be %d to %d characters without spaces", MinSecretLength, MaxSecretLength)
	}
	return nil
}

// AccessTokenLifespan returns the client's "access.token.lifespan"
// attribute in seconds, or 0 when it is not set (use the realm's).
func (c Client) AccessTokenLifespan() int {
	n, err := strconv.Atoi(c.Attributes[AttrAccessTokenLifespan])
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// validID reports whether id is a UUID in canonical lowercase form.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
