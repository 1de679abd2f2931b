package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// The login page's form, as the built-in theme writes it (login.html and
// its csrf template).
var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
)

// maxHops bounds the redirects followed within the server.
const maxHops = 10

// authCodeFlow returns one browser sign-in with a fresh cookie jar: the
// authorization request (PKCE S256, state), the redirects to the login
// page, the form posted with the credentials, the redirect to the client's
// redirect URI — where it stops and reads the code: nothing needs to
// listen there — and the code's exchange at the token endpoint.
func authCodeFlow(cfg Config, ep endpoints, client *http.Client) op {
	return func(ctx context.Context) error {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return err
		}
		browser := &http.Client{Transport: client.Transport, Timeout: client.Timeout, Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		verifier, state := random(32), random(16)
		challenge := sha256.Sum256([]byte(verifier))
		authURL := ep.oidc + "/auth?" + url.Values{
			"response_type": {"code"}, "client_id": {cfg.ClientID}, "redirect_uri": {cfg.RedirectURI},
			"scope": {"openid"}, "state": {state},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"},
		}.Encode()

		page, err := browse(ctx, browser, ep.base, cfg.RedirectURI, http.MethodGet, authURL, nil)
		if err != nil {
			return err
		}
		if page.status != http.StatusOK {
			return fmt.Errorf("authorization request: the login page answered %d", page.status)
		}
		action, csrf, err := loginForm(page.body)
		if err != nil {
			return err
		}
		back, err := browse(ctx, browser, ep.base, cfg.RedirectURI, http.MethodPost, action,
			url.Values{"csrf": {csrf}, "username": {cfg.Username}, "password": {cfg.Password}})
		if err != nil {
			return err
		}
		code, err := callbackCode(back, cfg.RedirectURI, state)
		if err != nil {
			return err
		}
		_, err = token(ctx, client, ep.oidc+"/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {cfg.RedirectURI},
			"client_id": {cfg.ClientID}, "client_secret": {cfg.Secret}, "code_verifier": {verifier}})
		return err
	}
}

// browse sends one request and follows the server's redirects (302, 303)
// with GETs until an answer that is not a redirect, or a redirect to
// redirectURI, which it returns unfollowed. Every URL the server names is
// sent to base (its path and query), so that the flow works whatever
// issuer base the server was given (e.g. the gateway's when it is called
// directly).
func browse(ctx context.Context, browser *http.Client, base, redirectURI, method, target string, form url.Values) (answer, error) {
	for range maxHops {
		u, err := rebase(base, target)
		if err != nil {
			return answer{}, err
		}
		var body io.Reader = http.NoBody
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return answer{}, err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		a, err := send(browser, req, 0)
		if err != nil {
			return answer{}, err
		}
		if a.status != http.StatusFound && a.status != http.StatusSeeOther {
			return a, nil
		}
		loc := a.header.Get("Location")
		if loc == "" {
			return answer{}, fmt.Errorf("%s %s: %d without Location", method, req.URL.Path, a.status)
		}
		if strings.HasPrefix(loc, redirectURI) {
			return a, nil
		}
		method, target, form = http.MethodGet, req.URL.ResolveReference(mustParse(loc)).String(), nil
	}
	return answer{}, fmt.Errorf("more than %d redirects", maxHops)
}

// mustParse parses a Location; an unparsable one becomes a URL whose
// request fails.
func mustParse(loc string) *url.URL {
	u, err := url.Parse(loc)
	if err != nil {
		return &url.URL{Path: "/invalid-location"}
	}
	return u
}

// rebase returns target with base's scheme and host.
func rebase(base, target string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	t, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("the server named an invalid URL")
	}
	t.Scheme, t.Host = b.Scheme, b.Host
	return t.String(), nil
}

// loginForm reads the login page's form action and CSRF token.
func loginForm(page []byte) (action, csrf string, err error) {
	a := formAction.FindSubmatch(page)
	c := csrfField.FindSubmatch(page)
	if a == nil || c == nil {
		return "", "", errors.New("the login page has no form with a csrf field")
	}
	return html.UnescapeString(string(a[1])), html.UnescapeString(string(c[1])), nil
}

// callbackCode checks that a sends the browser to redirectURI with state
// and returns the code.
func callbackCode(a answer, redirectURI, state string) (string, error) {
	loc := a.header.Get("Location")
	if (a.status != http.StatusFound && a.status != http.StatusSeeOther) || !strings.HasPrefix(loc, redirectURI) {
		return "", fmt.Errorf("the login form answered %d, not a redirect to the client", a.status)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", errors.New("the redirect to the client is not a URL")
	}
	q := u.Query()
	switch {
	case q.Get("error") != "":
		return "", fmt.Errorf("the redirect to the client carries error %q", q.Get("error"))
	case q.Get("state") != state:
		return "", errors.New("the redirect to the client carries another state")
	case q.Get("code") == "":
		return "", errors.New("the redirect to the client carries no code")
	}
	return q.Get("code"), nil
}

// random returns n random bytes, base64url.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
