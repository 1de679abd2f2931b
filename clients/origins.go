package clients

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// WebOrigins returns the web origins the realm's enabled clients allow
// (their webOrigins, Keycloak's "+" standing for the origins of the
// client's http(s) redirect URIs), deduplicated and sorted: what a gateway
// allows for cross-origin requests to the realm. A realm without clients
// has none. CodeInvalid for a malformed realm name.
func (s *Service) WebOrigins(ctx context.Context, realm iam.Realm) ([]string, error) {
	const op = "clients.WebOrigins"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	seen := map[string]bool{}
	for first := 0; ; first += MaxPageSize {
		page, err := s.store.List(ctx, realm, Filter{First: first, Max: MaxPageSize})
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		for _, c := range page {
			for _, o := range ClientOrigins(c) {
				seen[o] = true
			}
		}
		if len(page) < MaxPageSize {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for o := range seen {
		out = append(out, o)
	}
	slices.Sort(out)
	return out, nil
}

// ClientOrigins returns the web origins c allows: none when it is disabled,
// else its webOrigins with "+" replaced by the origins
// (scheme://host[:port], lowercase) of its http and https redirect URIs.
func ClientOrigins(c Client) []string {
	if !c.Enabled {
		return nil
	}
	var out []string
	for _, o := range c.WebOrigins {
		if o != "+" {
			out = append(out, o)
			continue
		}
		for _, uri := range c.RedirectURIs {
			u, err := url.Parse(uri)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				continue
			}
			out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
		}
	}
	return out
}
