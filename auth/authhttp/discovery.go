package authhttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
)

// providerMetadata is the OpenID Provider Metadata (OIDC Discovery 1.0,
// RFC 8414). It advertises exactly what is implemented.
type providerMetadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported,omitempty"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported,omitempty"`
}

// discovery serves GET {realm}/.well-known/openid-configuration.
func (h *Handler) discovery(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if _, err := h.svc.Realm(r.Context(), name); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iss := h.svc.Issuer(name)
	oidc := iss + "/protocol/openid-connect"
	m := providerMetadata{
		Issuer:                iss,
		TokenEndpoint:         oidc + "/token",
		IntrospectionEndpoint: oidc + "/token/introspect",
		UserinfoEndpoint:      oidc + "/userinfo",
		EndSessionEndpoint:    oidc + "/logout",
		JWKSURI:               oidc + "/certs",
		RevocationEndpoint:    oidc + "/revoke",
		GrantTypesSupported: []string{auth.GrantClientCredentials, auth.GrantPassword,
			auth.GrantRefreshToken},
		ResponseTypesSupported:                    []string{},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          []string{realms.AlgRS256, realms.AlgES256, realms.AlgEdDSA},
		TokenEndpointAuthMethodsSupported:         []string{"client_secret_basic", "client_secret_post", "none"},
		IntrospectionEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		RevocationEndpointAuthMethodsSupported:    []string{"client_secret_basic", "client_secret_post", "none"},
		ScopesSupported:                           []string{auth.ScopeOpenID, auth.ScopeProfile, auth.ScopeEmail},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "jti", "azp", "sid", "nonce",
			"at_hash", "typ", "scope", "realm", "realm_access", "resource_access", "preferred_username",
			"name", "given_name", "family_name", "email", "email_verified"},
		CodeChallengeMethodsSupported: []string{auth.PKCES256, auth.PKCEPlain},
	}
	if h.authEndpoint {
		m.AuthorizationEndpoint = oidc + "/auth"
		m.GrantTypesSupported = append([]string{auth.GrantAuthorizationCode}, m.GrantTypesSupported...)
		m.ResponseTypesSupported = []string{"code"}
		m.ResponseModesSupported = []string{"query"}
		if h.browser != nil {
			m.ResponseModesSupported = []string{auth.ResponseModeQuery, auth.ResponseModeFormPost}
		}
		m.AuthorizationResponseIssParameterSupported = h.issParameter
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	iamhttp.JSON(w, http.StatusOK, m)
}

// certs serves GET {realm}/protocol/openid-connect/certs: the realm's JWKS.
func (h *Handler) certs(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	raw, err := h.svc.JWKS(r.Context(), name)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	// Short caching: verifiers refetch on an unknown kid anyway, and a
	// rotated-in key must be visible quickly.
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(raw)
}
