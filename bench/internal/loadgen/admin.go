package loadgen

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/opengate-iam/opengate/users/password"
)

// AdminAPI calls OpenGate's Keycloak-compatible admin API as a master
// administrator, signing in again before each token expires. Safe for
// concurrent use.
type AdminAPI struct {
	base   string
	client *http.Client
	tokens *tokenSource
}

// NewAdminAPI returns an AdminAPI of the deployment at base; client nil
// uses NewHTTPClient(8).
func NewAdminAPI(base string, admin Admin, client *http.Client) *AdminAPI {
	if client == nil {
		client = NewHTTPClient(8)
	}
	base = strings.TrimRight(base, "/")
	return &AdminAPI{base: base, client: client, tokens: adminTokens(client, base, admin)}
}

// Do sends body (JSON; nil for none) to the admin path (from /admin) and
// returns the answer's status and body. Any status is returned; err is a
// failure to get one.
func (a *AdminAPI) Do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	tok, err := a.tokens.token(ctx)
	if err != nil {
		return 0, nil, err
	}
	var r io.Reader = http.NoBody
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ans, err := send(a.client, req, 0)
	return ans.status, ans.body, err
}

// must is Do that fails unless the status is one of want; the error quotes
// the answer's error description, never the request.
func (a *AdminAPI) must(ctx context.Context, method, path string, body any, want ...int) ([]byte, error) {
	status, raw, err := a.Do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if status == w {
			return raw, nil
		}
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"errorMessage"`
	}
	_ = json.Unmarshal(raw, &e)
	return nil, fmt.Errorf("%s %s: %d %s %s", method, pathOnly(path), status, e.Error, cmp.Or(e.Description, e.Message))
}

func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

// EnsureRealm creates realm, enabled, signing with alg (RS256, ES256 or
// EdDSA), or updates those two settings of an existing one. created
// reports whether it was new.
func (a *AdminAPI) EnsureRealm(ctx context.Context, realm, alg string) (created bool, err error) {
	rep := map[string]any{"realm": realm, "enabled": true, "signingAlgorithm": alg}
	status, _, err := a.Do(ctx, http.MethodPost, "/admin/realms", rep)
	switch {
	case err != nil:
		return false, err
	case status == http.StatusCreated:
		return true, nil
	case status != http.StatusConflict:
		_, err := a.must(ctx, http.MethodPost, "/admin/realms", rep, http.StatusCreated)
		return false, err
	}
	_, err = a.must(ctx, http.MethodPut, "/admin/realms/"+url.PathEscape(realm),
		map[string]any{"enabled": true, "signingAlgorithm": alg}, http.StatusNoContent)
	return false, err
}

// EnsureClient creates the client rep (a ClientRepresentation with
// clientId) in realm; one with its clientId is deleted first (OpenGate sets
// a chosen secret only at creation).
func (a *AdminAPI) EnsureClient(ctx context.Context, realm string, rep map[string]any) error {
	clients := "/admin/realms/" + url.PathEscape(realm) + "/clients"
	status, _, err := a.Do(ctx, http.MethodPost, clients, rep)
	switch {
	case err != nil:
		return err
	case status == http.StatusCreated:
		return nil
	case status != http.StatusConflict:
		_, err := a.must(ctx, http.MethodPost, clients, rep, http.StatusCreated)
		return err
	}
	clientID, _ := rep["clientId"].(string)
	raw, err := a.must(ctx, http.MethodGet, clients+"?"+url.Values{"clientId": {clientID}}.Encode(), nil, http.StatusOK)
	if err != nil {
		return err
	}
	var found []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &found); err != nil || len(found) != 1 {
		return fmt.Errorf("client %q exists but was not found by clientId", clientID)
	}
	if _, err := a.must(ctx, http.MethodDelete, clients+"/"+url.PathEscape(found[0].ID), nil, http.StatusNoContent); err != nil {
		return err
	}
	_, err = a.must(ctx, http.MethodPost, clients, rep, http.StatusCreated)
	return err
}

// ImportUsers imports users (UserRepresentations) into realm with
// partialImport, batch at a time (at most 10,000, the largest partialImport
// takes); mode is Keycloak's ifResourceExists for a username that exists:
// FAIL, SKIP or OVERWRITE.
func (a *AdminAPI) ImportUsers(ctx context.Context, realm, mode string, batch int, users []map[string]any) error {
	batch = min(max(batch, 1), 10_000)
	for len(users) > 0 {
		n := min(batch, len(users))
		_, err := a.must(ctx, http.MethodPost, "/admin/realms/"+url.PathEscape(realm)+"/partialImport",
			map[string]any{"ifResourceExists": mode, "users": users[:n]}, http.StatusOK)
		if err != nil {
			return err
		}
		users = users[n:]
	}
	return nil
}

// HashedPassword returns a Keycloak password CredentialRepresentation of
// pw hashed with argon2id at OpenGate's default parameters (what OpenGate
// itself would store: no rehash at sign-in), in Keycloak 26's
// secretData/credentialData form. Users imported with it sign in with pw,
// and the import costs the server no hashing.
func HashedPassword(pw string) map[string]any {
	p := password.DefaultParams()
	salt := make([]byte, p.SaltLength)
	_, _ = rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	secret, _ := json.Marshal(map[string]string{
		"value": base64.StdEncoding.EncodeToString(key), "salt": base64.StdEncoding.EncodeToString(salt)})
	data, _ := json.Marshal(map[string]any{"hashIterations": p.Iterations, "algorithm": password.KeycloakArgon2,
		"additionalParameters": map[string][]string{"type": {"id"}, "version": {"1.3"},
			"hashLength": {strconv.Itoa(int(p.KeyLength))}, "memory": {strconv.Itoa(int(p.Memory))},
			"parallelism": {strconv.Itoa(int(p.Parallelism))}}})
	return map[string]any{"type": "password", "secretData": string(secret), "credentialData": string(data)}
}
