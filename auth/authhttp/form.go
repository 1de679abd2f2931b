package authhttp

import (
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// requestError is an invalid_request with a caller-safe description.
func requestError(format string) error {
	return &iam.Error{Code: iam.CodeInvalid, Message: format, Err: &auth.OAuthError{Code: auth.ErrorInvalidRequest}}
}

// form reads an application/x-www-form-urlencoded body (bounded), refusing
// other content types and repeated parameters (RFC 6749 §3.2). Query
// parameters are ignored: credentials never travel in URLs.
func (h *Handler) form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, requestError("Content-Type must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &iam.Error{Code: iam.CodeTooLarge, Message: "request body is too large"}
		}
		return nil, requestError("request body is not a valid form")
	}
	for name, vals := range r.PostForm {
		if len(vals) > 1 {
			return nil, requestError("parameter " + name + " is repeated")
		}
	}
	return r.PostForm, nil
}

// clientCredentials reads client authentication: client_secret_basic (the
// Authorization header, form-urlencoded id and secret) or client_secret_post
// (client_id and client_secret in the form), or a public client's client_id
// alone. Using both methods is invalid_request. basic reports whether the
// client tried basic authentication (a failure then answers 401 with
// WWW-Authenticate: Basic).
func clientCredentials(r *http.Request, form url.Values) (cc auth.ClientCredentials, basic bool, err error) {
	authz := r.Header.Get("Authorization")
	if len(authz) > 6 && strings.EqualFold(authz[:6], "basic ") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(authz[6:]))
		if err != nil {
			return cc, true, invalidBasic()
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return cc, true, invalidBasic()
		}
		if cc.ClientID, err = url.QueryUnescape(id); err != nil {
			return cc, true, invalidBasic()
		}
		if cc.Secret, err = url.QueryUnescape(secret); err != nil {
			return cc, true, invalidBasic()
		}
		if form.Get("client_secret") != "" {
			return cc, true, requestError("client authenticated with more than one method")
		}
		if id := form.Get("client_id"); id != "" && id != cc.ClientID {
			return cc, true, requestError("client_id does not match the Authorization header")
		}
		return cc, true, nil
	}
	return auth.ClientCredentials{ClientID: form.Get("client_id"), Secret: form.Get("client_secret")}, false, nil
}

func invalidBasic() error {
	return &iam.Error{Code: iam.CodeUnauthenticated, Message: "Invalid client or Invalid client credentials",
		Err: &auth.OAuthError{Code: auth.ErrorInvalidClient}}
}

// bearerToken returns the access token of an Authorization: Bearer header,
// or (POST only, RFC 6750 §2.2) of the access_token form parameter.
func (h *Handler) bearerToken(w http.ResponseWriter, r *http.Request) (string, error) {
	authz := r.Header.Get("Authorization")
	if len(authz) > 7 && strings.EqualFold(authz[:7], "bearer ") {
		return strings.TrimSpace(authz[7:]), nil
	}
	if authz != "" {
		return "", requestError("unsupported authorization scheme")
	}
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "" {
		form, err := h.form(w, r)
		if err != nil {
			return "", err
		}
		if tok := form.Get("access_token"); tok != "" {
			return tok, nil
		}
	}
	return "", requestError("Token not provided")
}
