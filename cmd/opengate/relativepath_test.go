package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRelativePath runs the binary as a Keycloak 16 client expects it,
// OPENGATE_HTTP_RELATIVE_PATH=/auth: the OIDC discovery and a token
// request under /auth (the token's issuer under it too), the admin API's
// absolute Location, 404 without the path.
func TestRelativePath(t *testing.T) {
	s := start(t, map[string]string{"OPENGATE_ADMIN_PASSWORD": "Admin-passw0rd-rel", "OPENGATE_HTTP_RELATIVE_PATH": "/auth"})
	auth := s.URL + "/auth"
	base := strings.Replace(auth, "127.0.0.1", "localhost", 1) // the default issuer base names localhost

	resp, body := s.Call(t, "GET", "/auth/realms/master/.well-known/openid-configuration", "", "")
	var d map[string]string
	_ = json.Unmarshal([]byte(body), &d)
	if resp.StatusCode != 200 || d["issuer"] != base+"/realms/master" || d["token_endpoint"] != base+"/realms/master/protocol/openid-connect/token" {
		t.Fatalf("discovery under /auth = %d %s", resp.StatusCode, body)
	}
	if resp, _ := s.Call(t, "GET", "/realms/master/.well-known/openid-configuration", "", ""); resp.StatusCode != 404 {
		t.Fatalf("discovery without /auth = %d, want 404", resp.StatusCode)
	}

	tr, err := http.PostForm(auth+"/realms/master/protocol/openid-connect/token", url.Values{
		"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {"Admin-passw0rd-rel"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(tr.Body).Decode(&tok); err != nil || tr.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token request under /auth = %d, %v", tr.StatusCode, err)
	}
	resp, body = s.Call(t, "POST", "/auth/admin/realms", tok.AccessToken, `{"realm":"legacy","enabled":true}`)
	if resp.StatusCode != 201 || resp.Header.Get("Location") != auth+"/admin/realms/legacy" {
		t.Fatalf("create realm = %d, Location %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}
