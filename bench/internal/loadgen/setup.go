package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// Algorithms returns the signing algorithms a realm takes.
func Algorithms() []string { return []string{"RS256", "ES256", "EdDSA"} }

// Setup prepares a deployment for the scenarios through the admin API, as
// a master administrator: the realm (enabled, signing with Algorithm), a
// confidential client with the service account, direct access grants and
// the standard flow enabled and RedirectURI registered, and Users users
// named UserPrefix0, UserPrefix1, … with Password (imported pre-hashed:
// HashedPassword). Running it again brings an existing realm, client and
// users back to that state.
type Setup struct {
	Base  string
	Admin Admin
	// Realm and Algorithm (RS256, ES256 or EdDSA).
	Realm, Algorithm string
	// ClientID, Secret and RedirectURI of the client.
	ClientID, Secret, RedirectURI string
	// Users is how many users; UserPrefix their usernames' prefix
	// (default "user-"), Password theirs.
	Users      int
	UserPrefix string
	Password   string
	// HTTP, when set, is the client the calls go through.
	HTTP *http.Client
}

// Username returns the name of the setup's i-th user.
func (s Setup) Username(i int) string {
	prefix := s.UserPrefix
	if prefix == "" {
		prefix = "user-"
	}
	return fmt.Sprintf("%s%d", prefix, i)
}

// Run creates or updates everything, and fails on the first refusal.
func (s Setup) Run(ctx context.Context) error {
	switch {
	case s.Base == "" || s.Realm == "" || s.ClientID == "":
		return errors.New("setup needs the base URL, a realm and a client id")
	case s.Admin.Password == "":
		return errors.New("setup needs the master administrator's password")
	case !slices.Contains(Algorithms(), s.Algorithm):
		return fmt.Errorf("signing algorithm %q is not one of %v", s.Algorithm, Algorithms())
	case len(s.Secret) < 16:
		return errors.New("setup needs a client secret of at least 16 characters")
	case s.Users < 0 || s.Users > 1_000_000:
		return errors.New("setup takes 0 to 1,000,000 users")
	case s.Users > 0 && s.Password == "":
		return errors.New("setup needs the users' password")
	}
	api := NewAdminAPI(s.Base, s.Admin, s.HTTP)
	if _, err := api.EnsureRealm(ctx, s.Realm, s.Algorithm); err != nil {
		return fmt.Errorf("realm %s: %w", s.Realm, err)
	}
	client := map[string]any{"clientId": s.ClientID, "enabled": true, "publicClient": false, "secret": s.Secret,
		"serviceAccountsEnabled": true, "directAccessGrantsEnabled": true, "standardFlowEnabled": true,
		"redirectUris": []string{s.RedirectURI}}
	if s.RedirectURI == "" {
		client["standardFlowEnabled"], client["redirectUris"] = false, []string{}
	}
	if err := api.EnsureClient(ctx, s.Realm, client); err != nil {
		return fmt.Errorf("client %s: %w", s.ClientID, err)
	}
	if s.Users == 0 {
		return nil
	}
	cred := HashedPassword(s.Password)
	list := make([]map[string]any, s.Users)
	for i := range list {
		name := s.Username(i)
		list[i] = map[string]any{"username": name, "enabled": true, "email": name + "@bench.example",
			"emailVerified": true, "firstName": "Bench", "lastName": fmt.Sprintf("User %d", i),
			"credentials": []any{cred}}
	}
	if err := api.ImportUsers(ctx, s.Realm, "OVERWRITE", 10_000, list); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	return nil
}
