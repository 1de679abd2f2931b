package authui_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opengate-iam/opengate/realms"
)

// themes is a directory of login themes: acme replaces the stylesheet and
// the login page's content (keeping its form), broken has a template that
// does not parse.
var themes = fstest.MapFS{
	"acme/resources/login.css": {Data: []byte("body { background: rebeccapurple; }")},
	"acme/resources/logo.svg":  {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"acme/templates/login.html": {Data: []byte(`{{define "content"}}<p id="acme-welcome">Welcome to {{.RealmDisplay}}</p>
<form method="post" action="{{.Action}}">{{template "csrf" .}}
<input id="username" name="username"><input id="password" name="password" type="password">
<button type="submit" id="sign-in">Go</button></form>{{end}}`)},
	"broken/templates/login.html": {Data: []byte(`{{define "content"}}{{.Unclosed{{end}}`)},
}

var stylesheet = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`)

func TestARealmsLoginThemeReplacesFilesOfTheDefault(t *testing.T) {
	e := newEnvWith(t, themes, func(r *realms.Realm) { r.LoginTheme = "acme" })
	e.run()
	b := e.browser()
	page := b.loginPage()
	if !strings.Contains(page.body, `id="acme-welcome">Welcome to Acme Corp`) {
		t.Fatalf("the theme's login page is not used: %s", page.body)
	}
	css := stylesheet.FindStringSubmatch(page.body)
	if css == nil || !strings.Contains(css[1], "/resources/login/acme/login.css?v=") {
		t.Fatalf("stylesheet link: %v", css)
	}
	if body := fetch(t, strings.ReplaceAll(css[1], "&amp;", "&")); !strings.Contains(body, "rebeccapurple") {
		t.Fatalf("the theme's stylesheet: %s", body)
	}
	if body := fetch(t, e.url+"/resources/login/acme/logo.svg"); !strings.Contains(body, "<svg") {
		t.Fatalf("a theme's own resource: %s", body)
	}
	// Files the theme lacks come from the default: the form-post script,
	// the other pages.
	if body := fetch(t, e.url+"/resources/login/acme/form-post.js"); !strings.Contains(body, "form.submit()") {
		t.Fatalf("the default's script through the theme: %s", body)
	}
	// The theme's form still signs in.
	b.callback(b.follow(b.submit(page, "username", "alice", "password", password)))
}

func TestAMissingOrBrokenThemeFallsBackToTheDefault(t *testing.T) {
	for _, name := range []string{"nowhere", "broken"} {
		t.Run(name, func(t *testing.T) {
			e := newEnvWith(t, themes, func(r *realms.Realm) { r.LoginTheme = name })
			e.run()
			page := e.browser().loginPage()
			if strings.Contains(page.body, "acme-welcome") || !strings.Contains(page.body, "/resources/login/default/login.css") {
				t.Fatalf("not the default theme: %s", page.body)
			}
		})
	}
}

func TestChangingTheRealmsThemeChangesItsPages(t *testing.T) {
	e := newEnvWith(t, themes)
	e.run()
	if page := e.browser().loginPage(); strings.Contains(page.body, "acme-welcome") {
		t.Fatal("a realm without loginTheme uses a theme")
	}
	theme := "acme"
	if _, err := e.srv.Realms.Update(context.Background(), realm, realms.Update{LoginTheme: &theme}); err != nil {
		t.Fatal(err)
	}
	if page := e.browser().loginPage(); !strings.Contains(page.body, "acme-welcome") {
		t.Fatal("the new loginTheme is not used")
	}
}

func fetch(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return string(b)
}
