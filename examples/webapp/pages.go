package main

import (
	"bytes"
	"html/template"
	"net/http"
)

// pages are the application's HTML pages (html/template escapes every
// value, claims included).
var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenGate web app example</title></head><body>{{end}}

{{define "home"}}{{template "head"}}
{{if .SignedIn}}
<h1>Hello, {{.Name}}</h1>
<p>Your ID token's claims, verified (signature, issuer, audience, expiry, nonce):</p>
<table id="claims">
{{range .Claims}}<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button id="sign-out">Sign out</button></form>
{{else}}
<h1>Not signed in</h1>
<p><a id="sign-in" href="/login">Sign in</a> with OpenGate.</p>
{{end}}
</body></html>
{{end}}

{{define "error"}}{{template "head"}}
<h1>Sign-in problem</h1>
<p id="error">{{.Message}}</p>
{{if .Retry}}<p><a href="/login">Sign in again</a></p>{{end}}
<p><a href="/">Home</a></p>
</body></html>
{{end}}
`))

type homePage struct {
	SignedIn bool
	Name     string
	Claims   []claim
	CSRF     string
}

type errorPage struct {
	Message string
	Retry   bool // offer to sign in again
}

// render writes the page for data (homePage or errorPage) with status.
func render(w http.ResponseWriter, status int, data any) {
	name := "home"
	if _, ok := data.(errorPage); ok {
		name = "error"
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
