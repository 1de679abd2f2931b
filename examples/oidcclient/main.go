// Command oidcclient signs a user in to an OpenGate realm with unmodified
// OIDC libraries — github.com/coreos/go-oidc/v3 for discovery and ID-token
// verification, golang.org/x/oauth2 for the token endpoint — and prints the
// verified claims and the userinfo answer. Keycloak clients work the same way.
//
//	ISSUER=http://localhost:8080/realms/master CLIENT_ID=admin-cli \
//	  USERNAME=admin PASSWORD=... go run ./examples/oidcclient
//
// It uses the password grant (the client must allow direct access grants);
// browser applications use the authorization-code flow with the same
// libraries.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func main() {
	if err := run(context.Background(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oidcclient:", err)
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

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	issuer, clientID := getenv("ISSUER"), getenv("CLIENT_ID")
	if issuer == "" || clientID == "" || getenv("USERNAME") == "" {
		return fmt.Errorf("ISSUER, CLIENT_ID, USERNAME and PASSWORD are required")
	}
	provider, err := oidc.NewProvider(ctx, issuer) // discovery; checks the issuer byte for byte
	if err != nil {
		return err
	}
	cfg := oauth2.Config{
		ClientID:     clientID,
		ClientSecret: getenv("CLIENT_SECRET"), // empty for public clients
		Endpoint:     provider.Endpoint(),
		Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
	}
	tok, err := cfg.PasswordCredentialsToken(ctx, getenv("USERNAME"), getenv("PASSWORD"))
	if err != nil {
		return err
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		return fmt.Errorf("no id_token in the token response")
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, rawID)
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
