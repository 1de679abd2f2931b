package clients

import "github.com/opengate-iam/opengate/iam"

// Update is a partial change of a client: nil fields stay unchanged; slices
// and maps replace the current value as a whole. Turning a confidential
// client public drops its secret; turning a public client confidential
// generates one.
type Update struct {
	ClientID                  *string
	Name                      *string
	Description               *string
	Enabled                   *bool
	PublicClient              *bool
	BearerOnly                *bool
	StandardFlowEnabled       *bool
	DirectAccessGrantsEnabled *bool
	ServiceAccountsEnabled    *bool
	// FullScopeAllowed is Keycloak's fullScopeAllowed (Client.FullScopeAllowed).
	FullScopeAllowed     *bool
	RedirectURIs         *[]string
	WebOrigins           *[]string
	RootURL              *string
	BaseURL              *string
	Attributes           *map[string]string
	DefaultClientScopes  *[]string
	OptionalClientScopes *[]string
	// Extra's fields are set over the client's Extra, one by one (the
	// others are kept, as Keycloak keeps the fields a PUT does not send).
	Extra iam.Extra
}

// Apply changes c by u.
func (u Update) Apply(c *Client) {
	setIf(&c.ClientID, u.ClientID)
	setIf(&c.Name, u.Name)
	setIf(&c.Description, u.Description)
	setIf(&c.Enabled, u.Enabled)
	setIf(&c.PublicClient, u.PublicClient)
	setIf(&c.BearerOnly, u.BearerOnly)
	setIf(&c.StandardFlowEnabled, u.StandardFlowEnabled)
	setIf(&c.DirectAccessGrantsEnabled, u.DirectAccessGrantsEnabled)
	setIf(&c.ServiceAccountsEnabled, u.ServiceAccountsEnabled)
	if u.FullScopeAllowed != nil {
		c.FullScopeDisabled = !*u.FullScopeAllowed
	}
	setSlice(&c.RedirectURIs, u.RedirectURIs)
	setSlice(&c.WebOrigins, u.WebOrigins)
	setIf(&c.RootURL, u.RootURL)
	setIf(&c.BaseURL, u.BaseURL)
	if u.Attributes != nil {
		c.Attributes = make(map[string]string, len(*u.Attributes))
		for k, v := range *u.Attributes {
			c.Attributes[k] = v
		}
	}
	setSlice(&c.DefaultClientScopes, u.DefaultClientScopes)
	setSlice(&c.OptionalClientScopes, u.OptionalClientScopes)
	if len(u.Extra) > 0 {
		c.Extra = c.Extra.Merge(u.Extra)
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func setSlice(dst *[]string, v *[]string) {
	if v != nil {
		*dst = append([]string{}, (*v)...)
	}
}
