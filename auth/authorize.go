package auth

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// OAuth and OpenID Connect error codes of the authorization endpoint (RFC
// 6749 §4.1.2.1, OIDC Core §3.1.2.6).
const (
	ErrorUnsupportedResponseType = "unsupported_response_type"
	ErrorAccessDenied            = "access_denied"
	ErrorLoginRequired           = "login_required"
	ErrorInteractionRequired     = "interaction_required"
	ErrorRequestNotSupported     = "request_not_supported"
	ErrorRequestURINotSupported  = "request_uri_not_supported"
)

// Response modes of the authorization endpoint (OAuth 2.0 Multiple Response
// Type Encoding Practices, Form Post Response Mode).
const (
	ResponseModeQuery    = "query"
	ResponseModeFormPost = "form_post"
	ResponseModeFragment = "fragment"
)

// Prompt values OpenGate acts on (OIDC Core §3.1.2.1).
const (
	PromptNone  = "none"
	PromptLogin = "login"
)

// AuthorizationRequest is a request to the authorization endpoint, its
// parameters as received (transport-neutral).
type AuthorizationRequest struct {
	Realm               iam.Realm
	ResponseType        string
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string
	MaxAge              string // seconds, as sent
	LoginHint           string
	UILocales           string
	ResponseMode        string
	Request             string // a request object: not supported
	RequestURI          string // not supported
}

// Authorization is a checked authorization request: the client exists and
// may use the browser flow, RedirectURI is one of its registered redirect
// URIs, and the rest of the request is valid. It is what the sign-in pages
// carry from the authorization endpoint to the code they issue.
type Authorization struct {
	ClientID   string // public clientId
	ClientUUID string
	// ClientName is the client's name for the pages ("" when it has none).
	ClientName string
	// RedirectURI is where the response goes: always a registered URI of
	// the client once set.
	RedirectURI  string
	ResponseMode string // ResponseModeQuery or ResponseModeFormPost
	State        string
	Scope        string // as requested
	Nonce        string
	// CodeChallenge and CodeChallengeMethod are the PKCE challenge: method
	// S256 (or plain, for confidential clients whose
	// pkce.code.challenge.method attribute is plain), "" without PKCE.
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              string // PromptNone, PromptLogin or ""
	// MaxAge is the max_age parameter in seconds; negative when absent.
	MaxAge    int
	LoginHint string
	UILocales string
}

// Limits of the parameters the pages carry through a sign-in.
const (
	maxStateBytes     = 2048
	maxNonceBytes     = 512
	maxLoginHintBytes = 255
	maxScopeBytes     = 1024
	maxLocalesBytes   = 128
)

// Authorize checks an authorization request (RFC 6749 §4.1.1, OIDC Core
// §3.1.2): response_type code only, a known enabled client allowed the
// standard flow, redirect_uri one of its registered URIs
// (clients.MatchRedirectURI; required when the client has several), the
// client's scopes, PKCE (S256 required for public clients and for clients
// whose pkce.code.challenge.method attribute is set; plain refused unless
// that attribute says plain), prompt none or login (with both, or with
// anything else, invalid_request), max_age a non-negative integer,
// response_mode query or form_post (fragment is refused: a code never
// travels in a fragment).
//
// Errors are OAuth errors (OAuthCode), and the returned Authorization says
// where they may go: when its RedirectURI is set, the client and the
// redirect URI were valid and the error is sent back to the client there,
// with State and in ResponseMode (RFC 6749 §4.1.2.1); when RedirectURI is
// "" (unknown realm or client, a disabled client, a redirect URI that is
// missing, malformed or not registered) the error must be shown to the
// user and never redirected: redirecting would make the endpoint an open
// redirector. An unknown realm is CodeNotFound.
func (s *Service) Authorize(ctx context.Context, req AuthorizationRequest) (Authorization, error) {
	const op = "auth.Authorize"
	realm, err := s.enabledRealm(ctx, req.Realm)
	if err != nil {
		return Authorization{}, err
	}
	if req.ClientID == "" {
		return Authorization{}, oauthErr(ErrorInvalidRequest, "Missing parameter: client_id")
	}
	c, err := s.clients.GetByClientID(ctx, realm.Name, req.ClientID)
	if err != nil {
		if perr := passDependencyError(op, err); perr != nil {
			return Authorization{}, perr
		}
		return Authorization{}, oauthErr(ErrorUnauthorizedClient, "Client not found")
	}
	if !c.Enabled || c.BearerOnly {
		return Authorization{}, oauthErr(ErrorUnauthorizedClient, "Client not found")
	}
	redirect, err := redirectURI(c, req.RedirectURI)
	if err != nil {
		return Authorization{}, err
	}
	a := Authorization{
		ClientID: c.ClientID, ClientUUID: c.ID, ClientName: c.Name, RedirectURI: redirect,
		ResponseMode: ResponseModeQuery, State: req.State, MaxAge: -1,
	}
	// From here on the client and its redirect URI are known: errors go
	// back to the client, in the response mode it asked for when valid.
	switch req.ResponseMode {
	case "", ResponseModeQuery:
	case ResponseModeFormPost:
		a.ResponseMode = ResponseModeFormPost
	case ResponseModeFragment:
		return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: response_mode: fragment is not allowed for the code flow")
	default:
		return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: response_mode")
	}
	if len(req.State) > maxStateBytes {
		// Too long to echo back: answer without it.
		a.State = ""
		return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: state is too long")
	}
	switch {
	case req.Request != "":
		return a, oauthErr(ErrorRequestNotSupported, "Request objects are not supported")
	case req.RequestURI != "":
		return a, oauthErr(ErrorRequestURINotSupported, "Request URIs are not supported")
	case req.ResponseType == "":
		return a, oauthErr(ErrorInvalidRequest, "Missing parameter: response_type")
	case req.ResponseType != "code":
		return a, oauthErr(ErrorUnsupportedResponseType, "Unsupported response_type: only code is supported")
	case !c.StandardFlowEnabled:
		return a, oauthErr(ErrorUnauthorizedClient, "Client is not allowed to initiate browser login")
	case len(req.Nonce) > maxNonceBytes:
		return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: nonce is too long")
	case len(req.LoginHint) > maxLoginHintBytes:
		return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: login_hint is too long")
	case len(req.Scope) > maxScopeBytes:
		return a, oauthErr(ErrorInvalidScope, "Invalid parameter: scope is too long")
	case len(req.UILocales) > maxLocalesBytes:
		return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: ui_locales is too long")
	}
	if _, err := negotiateScope(c, req.Scope); err != nil {
		return a, err
	}
	method, err := pkceMethod(c, req.CodeChallenge, req.CodeChallengeMethod)
	if err != nil {
		return a, err
	}
	if a.Prompt, err = prompt(req.Prompt); err != nil {
		return a, err
	}
	if req.MaxAge != "" {
		n, err := strconv.Atoi(req.MaxAge)
		if err != nil || n < 0 || strconv.Itoa(n) != req.MaxAge {
			return a, oauthErr(ErrorInvalidRequest, "Invalid parameter: max_age")
		}
		a.MaxAge = n
	}
	a.Scope, a.Nonce, a.LoginHint, a.UILocales = req.Scope, req.Nonce, req.LoginHint, req.UILocales
	a.CodeChallenge, a.CodeChallengeMethod = req.CodeChallenge, method
	return a, nil
}

// redirectURI returns the redirect URI of an authorization request: the
// one sent, if registered for c, or c's only registered URI when none was
// sent (RFC 6749 §3.1.2.3). Errors leave the caller nowhere to redirect.
func redirectURI(c clients.Client, sent string) (string, error) {
	if sent == "" {
		if len(c.RedirectURIs) == 1 && !strings.ContainsAny(c.RedirectURIs[0], "*") {
			return c.RedirectURIs[0], nil
		}
		return "", oauthErr(ErrorInvalidRequest, "Missing parameter: redirect_uri")
	}
	if !clients.MatchRedirectURI(c, sent) {
		return "", oauthErr(ErrorInvalidRequest, "Invalid parameter: redirect_uri")
	}
	return sent, nil
}

// prompt parses the prompt parameter: none or login, alone. consent and
// select_account have no meaning here (OpenGate asks no consent and keeps
// one account per browser): they are accepted and ignored, as OIDC allows.
func prompt(raw string) (string, error) {
	values := strings.Fields(raw)
	if slices.Contains(values, PromptNone) && len(values) > 1 {
		return "", oauthErr(ErrorInvalidRequest, "Invalid parameter: prompt: none cannot be combined")
	}
	out := ""
	for _, v := range values {
		switch v {
		case PromptNone, PromptLogin:
			out = v
		case "consent", "select_account":
		default:
			return "", oauthErr(ErrorInvalidRequest, "Invalid parameter: prompt")
		}
	}
	return out, nil
}
