package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// endpoints are the URLs of one realm.
type endpoints struct {
	base, oidc string
}

func newEndpoints(base, realm string) endpoints {
	base = strings.TrimRight(base, "/")
	return endpoints{base: base, oidc: base + "/realms/" + url.PathEscape(realm) + "/protocol/openid-connect"}
}

// prepare returns the constructor of cfg.Scenario's workers, after the
// scenario's shared state (a token) is fetched.
func prepare(ctx context.Context, cfg Config) (func(context.Context) (op, error), error) {
	ep := newEndpoints(cfg.Base, cfg.Realm)
	client := cfg.HTTP
	form := func(kv ...string) url.Values {
		v := url.Values{"client_id": {cfg.ClientID}}
		if cfg.Secret != "" {
			v.Set("client_secret", cfg.Secret)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	ccForm := form("grant_type", "client_credentials")
	pwForm := form("grant_type", "password", "username", cfg.Username, "password", cfg.Password, "scope", "openid")
	tokenURL := ep.oidc + "/token"
	shared := func(o op) func(context.Context) (op, error) {
		return func(context.Context) (op, error) { return o, nil }
	}

	switch cfg.Scenario {
	case "client_credentials":
		return shared(func(ctx context.Context) error { _, err := token(ctx, client, tokenURL, ccForm); return err }), nil

	case "password":
		return shared(func(ctx context.Context) error { _, err := token(ctx, client, tokenURL, pwForm); return err }), nil

	case "refresh":
		// Each worker signs in once (not timed) and then rotates its own
		// refresh token: the answer's refresh token replaces the one used.
		return func(ctx context.Context) (op, error) {
			var rt string
			login := func(ctx context.Context) error {
				t, err := token(ctx, client, tokenURL, pwForm)
				if err == nil && t.RefreshToken == "" {
					err = errors.New("the password grant gave no refresh_token")
				}
				rt = t.RefreshToken
				return err
			}
			if err := whileUnavailable(ctx, login); err != nil {
				return nil, err
			}
			return func(ctx context.Context) error {
				if rt == "" { // the last refresh failed: its token may be spent
					if err := login(ctx); err != nil {
						return err
					}
				}
				t, err := token(ctx, client, tokenURL, form("grant_type", "refresh_token", "refresh_token", rt))
				if err == nil && t.RefreshToken == "" {
					err = errors.New("the refresh gave no refresh_token")
				}
				rt = t.RefreshToken
				return err
			}, nil
		}, nil

	case "authcode":
		return shared(authCodeFlow(cfg, ep, client)), nil

	case "introspect":
		src := newTokenSource(func(ctx context.Context) (tokenResponse, error) { return token(ctx, client, tokenURL, ccForm) })
		if err := whileUnavailable(ctx, func(ctx context.Context) error { _, err := src.token(ctx); return err }); err != nil {
			return nil, err
		}
		return shared(func(ctx context.Context) error {
			tok, err := src.token(ctx)
			if err != nil {
				return err
			}
			a, err := postForm(ctx, client, tokenURL+"/introspect", form("token", tok))
			if err == nil && !bytes.Contains(a.body, []byte(`"active":true`)) {
				err = errors.New("introspection: the token is not active")
			}
			return err
		}), nil

	case "userinfo":
		src := newTokenSource(func(ctx context.Context) (tokenResponse, error) { return token(ctx, client, tokenURL, pwForm) })
		if err := whileUnavailable(ctx, func(ctx context.Context) error { _, err := src.token(ctx); return err }); err != nil {
			return nil, err
		}
		return shared(func(ctx context.Context) error {
			tok, err := src.token(ctx)
			if err != nil {
				return err
			}
			_, err = bearerGet(ctx, client, ep.oidc+"/userinfo", tok)
			return err
		}), nil

	case "usersearch":
		admin := adminTokens(client, cfg.Base, cfg.Admin)
		if err := whileUnavailable(ctx, func(ctx context.Context) error { _, err := admin.token(ctx); return err }); err != nil {
			return nil, err
		}
		search := cfg.Search
		if search == "" {
			search = "user-1"
		}
		u := ep.base + "/admin/realms/" + url.PathEscape(cfg.Realm) + "/users?" +
			url.Values{"search": {search}, "max": {"20"}}.Encode()
		return shared(func(ctx context.Context) error {
			tok, err := admin.token(ctx)
			if err != nil {
				return err
			}
			a, err := bearerGet(ctx, client, u, tok)
			if err == nil && !bytes.HasPrefix(bytes.TrimSpace(a.body), []byte("[")) {
				err = errors.New("user search: the answer is not a JSON array")
			}
			return err
		}), nil
	}
	return nil, fmt.Errorf("unknown scenario %q", cfg.Scenario)
}

// whileUnavailable runs a preparation step (not timed) again while the
// server answers 503 — a password sign-in refused while the server's
// bounded hashing queue is full, e.g. of a previous run's abandoned
// requests — up to ten times, a little longer apart each time.
func whileUnavailable(ctx context.Context, step func(context.Context) error) error {
	var err error
	for attempt := 1; attempt <= 10; attempt++ {
		var se *statusError
		if err = step(ctx); !errors.As(err, &se) || se.status != http.StatusServiceUnavailable {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
	return err
}

// bearerGet GETs u with a bearer token and wants 200.
func bearerGet(ctx context.Context, client *http.Client, u, tok string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return send(client, req, http.StatusOK)
}

// adminTokens signs admin in at master's admin-cli (password grant) and
// again before each token expires.
func adminTokens(client *http.Client, base string, admin Admin) *tokenSource {
	endpoint := newEndpoints(base, "master").oidc + "/token"
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"},
		"username": {admin.User}, "password": {admin.Password}}
	return newTokenSource(func(ctx context.Context) (tokenResponse, error) {
		t, err := token(ctx, client, endpoint, form)
		if err != nil {
			return t, fmt.Errorf("administrator sign-in: %w", err)
		}
		return t, nil
	})
}
