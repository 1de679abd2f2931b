// Command oidcclient signs a user in to an OpenGate realm with unmodified
// OIDC libraries — github.com/coreos/go-oidc/v3 for discovery and ID-token
// verification, golang.org/x/oauth2 for the token endpoint — and prints the
// verified claims and the userinfo answer as JSON. Keycloak clients work the
// same way.
//
//	PASSWORD=... go run ./examples/oidcclient -realm master -client-id admin-cli -username admin
//
// Flags (the defaults shown):
//
//	-opengate http://localhost:8080   OpenGate's base URL
//	-realm master                     the realm; its issuer is {opengate}/realms/{realm}
//	-client-id admin-cli              a client allowing direct access grants
//	-username admin                   the user signing in
//
// Secrets come from the environment, never from flags (a command line is
// visible to every user of the machine): PASSWORD, the user's password
// (required), and CLIENT_SECRET, the client's secret (empty for a public
// client).
//
// It uses the password grant (the client must allow direct access grants);
// browser applications use the authorization-code flow with the same
// libraries (examples/webapp). It does not listen on any port.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "oidcclient:", err)
		}
		os.Exit(1)
	}
}

// claims are the ID-token claims printed.
type claims struct {
	Subject           string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	SessionID         string `json:"sid"`
}

// run parses args (the flags above; flag errors and -h go to stderr),
// reads the secrets with getenv, signs in and writes the result to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("oidcclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("opengate", "http://localhost:8080", "OpenGate's base URL")
	realm := fs.String("realm", "master", "the realm; its issuer is {opengate}/realms/{realm}")
	clientID := fs.String("client-id", "admin-cli", "a client of the realm allowing direct access grants")
	username := fs.String("username", "admin", "the user signing in (the password is read from PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-opengate %q: want an absolute http or https URL", *base)
	}
	if *realm == "" || *clientID == "" || *username == "" {
		return errors.New("-realm, -client-id and -username must not be empty")
	}
	password := getenv("PASSWORD")
	if password == "" {
		return errors.New("set PASSWORD to the user's password")
	}
	issuer := strings.TrimSuffix(*base, "/") + "/realms/" + url.PathEscape(*realm)
	provider, err := oidc.NewProvider(ctx, issuer) // discovery; checks the issuer byte for byte
	if err != nil {
		return err
	}
	cfg := oauth2.Config{
		ClientID:     *clientID,
		ClientSecret: getenv("CLIENT_SECRET"), // empty for public clients
		Endpoint:     provider.Endpoint(),
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
	tok, err := cfg.PasswordCredentialsToken(ctx, *username, password)
	if err != nil {
		return err
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		return fmt.Errorf("no id_token in the token response")
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: *clientID}).Verify(ctx, rawID)
	if err != nil {
		return err
	}
	if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil { // at_hash
		return err
	}
	var c claims
	if err := idToken.Claims(&c); err != nil {
		return err
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return err
	}
	if info.Subject != c.Subject {
		return fmt.Errorf("userinfo sub %q differs from the ID token's %q", info.Subject, c.Subject)
	}
	return json.NewEncoder(stdout).Encode(map[string]any{
		"id_token": c,
		"userinfo": map[string]any{"sub": info.Subject, "email": info.Email},
		"expires":  tok.Expiry,
	})
}
