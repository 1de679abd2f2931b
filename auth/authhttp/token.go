package authhttp

import (
	"cmp"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// tokenResponse is Keycloak's token response.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	RefreshToken     string `json:"refresh_token,omitempty"`
	TokenType        string `json:"token_type"`
	IDToken          string `json:"id_token,omitempty"`
	NotBeforePolicy  int    `json:"not-before-policy"`
	SessionState     string `json:"session_state,omitempty"`
	Scope            string `json:"scope"`
}

// introspectionResponse is RFC 7662's answer: active, and for an active
// token its claims plus client_id, username and token_type.
type introspectionResponse struct {
	Active bool `json:"active"`
	*auth.AccessClaims
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
}

func chiRealm(r *http.Request) string { return chi.URLParam(r, "realm") }

// realm parses the {realm} URL parameter (invalid_request if malformed).
func realm(r *http.Request) (iam.Realm, error) {
	name, err := iam.ParseRealm(chiRealm(r))
	if err != nil {
		return "", requestError("invalid realm name")
	}
	return name, nil
}

// oauthRequest reads what token-endpoint-style requests share: the realm,
// the form and the client credentials.
func (h *Handler) oauthRequest(w http.ResponseWriter, r *http.Request) (iam.Realm, map[string][]string, auth.ClientCredentials, string, error) {
	name, err := realm(r)
	if err != nil {
		return "", nil, auth.ClientCredentials{}, "", err
	}
	form, err := h.form(w, r)
	if err != nil {
		return "", nil, auth.ClientCredentials{}, "", err
	}
	cc, basic, err := clientCredentials(r, form)
	challenge := ""
	if basic {
		challenge = "basic"
	}
	return name, form, cc, challenge, err
}

// token serves POST {realm}/protocol/openid-connect/token.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	name, form, cc, challenge, err := h.oauthRequest(w, r)
	if err != nil {
		h.oauthError(w, r, err, challenge)
		return
	}
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	tok, err := h.svc.Token(r.Context(), auth.TokenRequest{
		Realm:        name,
		GrantType:    get("grant_type"),
		Client:       cc,
		Scope:        get("scope"),
		Username:     get("username"),
		Password:     get("password"),
		TOTP:         cmp.Or(get("otp"), get("totp")), // Keycloak reads otp, then totp
		RefreshToken: get("refresh_token"),
		Code:         get("code"),
		RedirectURI:  get("redirect_uri"),
		CodeVerifier: get("code_verifier"),
		IP:           h.clientIP(r),
		UserAgent:    h.userAgent(r),
	})
	if err != nil {
		h.oauthError(w, r, err, challenge)
		return
	}
	noStore(w)
	iamhttp.JSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.AccessToken, ExpiresIn: tok.ExpiresIn, RefreshExpiresIn: tok.RefreshExpiresIn,
		RefreshToken: tok.RefreshToken, TokenType: tok.TokenType, IDToken: tok.IDToken,
		SessionState: tok.SessionState, Scope: tok.Scope,
	})
}

// tokenBase builds the request of introspection, revocation and logout.
func (h *Handler) tokenBase(w http.ResponseWriter, r *http.Request, param string) (auth.TokenRequestBase, string, error) {
	name, form, cc, challenge, err := h.oauthRequest(w, r)
	if err != nil {
		return auth.TokenRequestBase{}, challenge, err
	}
	return auth.TokenRequestBase{Realm: name, Client: cc, Token: first(form[param]),
		TokenTypeHint: first(form["token_type_hint"])}, challenge, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// introspect serves POST {realm}/protocol/openid-connect/token/introspect.
func (h *Handler) introspect(w http.ResponseWriter, r *http.Request) {
	req, challenge, err := h.tokenBase(w, r, "token")
	if err != nil {
		h.oauthError(w, r, err, challenge)
		return
	}
	in, err := h.svc.Introspect(r.Context(), req)
	if err != nil {
		h.oauthError(w, r, err, challenge)
		return
	}
	noStore(w)
	resp := introspectionResponse{Active: in.Active}
	if in.Active {
		resp.AccessClaims = in.Claims
		resp.ClientID = in.Claims.AuthorizedParty
		resp.Username = in.Claims.PreferredUsername
		resp.TokenType = in.Claims.Type
	}
	iamhttp.JSON(w, http.StatusOK, resp)
}

// revoke serves POST {realm}/protocol/openid-connect/revoke (RFC 7009).
func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	req, challenge, err := h.tokenBase(w, r, "token")
	if err == nil {
		err = h.svc.Revoke(r.Context(), req)
	}
	if err != nil {
		h.oauthError(w, r, err, challenge)
		return
	}
	noStore(w)
	w.WriteHeader(http.StatusOK)
}

// logout serves POST {realm}/protocol/openid-connect/logout with a
// refresh_token (Keycloak's back-channel logout of a session): 204.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	req, challenge, err := h.tokenBase(w, r, "refresh_token")
	if err == nil {
		err = h.svc.Logout(r.Context(), req)
	}
	if err != nil {
		h.oauthError(w, r, err, challenge)
		return
	}
	noStore(w)
	w.WriteHeader(http.StatusNoContent)
}

// userinfo serves GET and POST {realm}/protocol/openid-connect/userinfo.
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request) {
	name, err := realm(r)
	if err != nil {
		h.oauthError(w, r, err, "bearer")
		return
	}
	tok, err := h.bearerToken(w, r)
	if err != nil {
		// No credentials at all: 401 with a bare challenge (RFC 6750 §3.1).
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+string(name)+`"`)
		noStore(w)
		iamhttp.JSON(w, http.StatusUnauthorized, oauthBody{Error: auth.ErrorInvalidRequest, ErrorDescription: iam.ErrorMessage(err)})
		return
	}
	info, err := h.svc.UserInfo(r.Context(), name, tok)
	if err != nil {
		h.oauthError(w, r, err, "bearer")
		return
	}
	noStore(w)
	iamhttp.JSON(w, http.StatusOK, info)
}
