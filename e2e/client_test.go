package e2e

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// client talks to one deployment's base URL as an application would.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	return &client{t: t, base: base, http: &http.Client{Timeout: 35 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into v, failing the test if it is not JSON.
func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(a.body), v); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", a.status, err, a.body)
	}
}

// obj decodes a JSON object body.
func (a answer) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	a.json(t, &m)
	return m
}

// do sends a request; body is JSON unless form is given.
func (c *client) do(method, path, token, body string, form url.Values, basic ...string) answer {
	c.t.Helper()
	var r io.Reader
	ctype := ""
	switch {
	case form != nil:
		r, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case body != "":
		r, ctype = strings.NewReader(body), "application/json"
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.base + path
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// want sends a request and fails unless it is answered status.
func (c *client) want(status int, method, path, token, body string) answer {
	c.t.Helper()
	a := c.do(method, path, token, body, nil)
	if a.status != status {
		c.t.Fatalf("%s %s = %d (want %d): %s", method, path, a.status, status, a.body)
	}
	return a
}

// eventually repeats a request while it is answered 404, 502 or 503 (a
// change another service learns over Kafka, a service starting) for up to
// 20 s, and fails unless it is finally answered status.
func (c *client) eventually(status int, method, path, token, body string) answer {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a := c.do(method, path, token, body, nil)
		if a.status == status {
			return a
		}
		if (a.status != 404 && a.status != 502 && a.status != 503 && a.status != 401 && a.status != 403) || time.Now().After(deadline) {
			c.t.Fatalf("%s %s = %d (want %d): %s", method, path, a.status, status, a.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// token posts to realm's token endpoint.
func (c *client) token(realm string, form url.Values, basic ...string) answer {
	c.t.Helper()
	return c.do("POST", "/realms/"+realm+"/protocol/openid-connect/token", "", "", form, basic...)
}

// tokens is a successful token response.
type tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	ID      string `json:"id_token"`
}

func (c *client) wantTokens(a answer) tokens {
	c.t.Helper()
	if a.status != 200 {
		c.t.Fatalf("token endpoint = %d: %s", a.status, a.body)
	}
	var tk tokens
	a.json(c.t, &tk)
	if tk.Access == "" {
		c.t.Fatalf("no access token: %s", a.body)
	}
	return tk
}

// claims decodes a JWT's payload.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	*client
}

func (c *client) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{client: &client{t: c.t, base: c.base, http: &http.Client{Jar: jar, Timeout: 35 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}}
	return b
}

// follow follows redirects within the deployment and returns the first
// answer that is not one, or a redirect elsewhere (to the application).
func (b *browser) follow(a answer) answer {
	b.t.Helper()
	for i := 0; i < 10 && (a.status == http.StatusFound || a.status == http.StatusSeeOther); i++ {
		loc := a.header.Get("Location")
		if strings.HasPrefix(loc, "/") {
			loc = b.base + loc
		}
		if !strings.HasPrefix(loc, b.base+"/") {
			return a
		}
		a = b.do("GET", loc, "", "", nil)
	}
	return a
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
)

// submit posts the page's first form with fields and its CSRF token.
func (b *browser) submit(page answer, fields ...string) answer {
	b.t.Helper()
	m, c := formAction.FindStringSubmatch(page.body), csrfField.FindStringSubmatch(page.body)
	if m == nil || c == nil {
		b.t.Fatalf("no form on the page (%d): %s", page.status, page.body)
	}
	form := url.Values{"csrf": {html.UnescapeString(c[1])}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return b.do("POST", html.UnescapeString(m[1]), "", "", form)
}
