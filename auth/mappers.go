package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// GroupResolver returns the paths ("/top/sub") of the groups a subject (a
// user id, or iam.ServiceAccountSubject(clientUUID)) belongs to directly,
// sorted; a subject without groups has none (no error). *rbac.Service and
// the remote rbachttp.Client implement it.
type GroupResolver interface {
	UserGroupPaths(ctx context.Context, realm iam.Realm, subject string) ([]string, error)
}

// WithGroups makes the clients' group-membership mappers (Keycloak's
// oidc-group-membership-mapper in a client's protocolMappers) put the
// subject's groups, read from g, in the tokens and userinfo answers issued
// for the client. Without it such mappers add nothing.
func WithGroups(g GroupResolver) Option { return func(s *Service) { s.groups = g } }

// MapperGroupMembership is the type (protocolMapper) of Keycloak's
// group-membership mapper, the protocol mapper auth applies. Its config:
// claim.name (the claim; dots nest it, "\." is a dot in a name), full.path
// ("true": paths such as "/top/sub", else names), access.token.claim
// (default true), id.token.claim (default false), userinfo.token.claim
// (default: id.token.claim's value).
const MapperGroupMembership = "oidc-group-membership-mapper"

// protocolMapper is one of Keycloak's ProtocolMapperRepresentations, as a
// client's protocolMappers field stores it.
type protocolMapper struct {
	Protocol       string         `json:"protocol"`
	ProtocolMapper string         `json:"protocolMapper"`
	Config         map[string]any `json:"config"`
}

// config returns the mapper's setting key as a string (Keycloak's config
// values are strings; a JSON scalar is read as its text) and whether it is
// set.
func (m protocolMapper) config(key string) (string, bool) {
	switch v := m.Config[key].(type) {
	case nil:
		return "", false
	case string:
		return v, true
	default:
		return fmt.Sprint(v), true
	}
}

// flag returns the boolean setting key, def when unset.
func (m protocolMapper) flag(key string, def bool) bool {
	v, ok := m.config(key)
	if !ok {
		return def
	}
	return strings.EqualFold(v, "true")
}

// clientMappers returns c's protocol mappers of the OpenID Connect protocol.
// protocolMappers is stored verbatim as an administrator sent it: a value
// or an entry that is not a mapper is skipped, never an error of token
// issuance.
func clientMappers(c clients.Client) []protocolMapper {
	raw := c.Extra["protocolMappers"]
	if len(raw) == 0 {
		return nil
	}
	var entries []json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		return nil
	}
	var out []protocolMapper
	for _, e := range entries {
		var m protocolMapper
		if json.Unmarshal(e, &m) != nil || (m.Protocol != "" && m.Protocol != "openid-connect") {
			continue
		}
		out = append(out, m)
	}
	return out
}

// mappedClaims are the claims protocol mappers add, by where they go; each
// map is nil when nothing goes there.
type mappedClaims struct {
	access, id, userinfo map[string]any
}

// mapClaims returns the claims c's mappers add for subject of realm. A
// mapper whose claim would replace a claim OpenGate sets itself (sub,
// realm_access, ... — reservedClaims) is skipped: mappers add information,
// they never change what a token grants. A failure to read the groups is
// returned (CodeUnavailable when rbac does not answer).
func (s *Service) mapClaims(ctx context.Context, realm iam.Realm, c clients.Client, subject string) (mappedClaims, error) {
	var out mappedClaims
	var paths []string
	loaded := false
	for _, m := range clientMappers(c) {
		if m.ProtocolMapper != MapperGroupMembership || s.groups == nil {
			continue
		}
		name, _ := m.config("claim.name")
		path := claimPath(name)
		if path == nil || s.reserved[path[0]] {
			continue
		}
		id := m.flag("id.token.claim", false)
		access, userinfo := m.flag("access.token.claim", true), m.flag("userinfo.token.claim", id)
		if !access && !id && !userinfo {
			continue
		}
		if !loaded {
			var err error
			if paths, err = s.groups.UserGroupPaths(ctx, realm, subject); err != nil {
				return mappedClaims{}, err
			}
			loaded = true
		}
		values := make([]string, len(paths))
		for i, p := range paths {
			values[i] = p
			if !m.flag("full.path", false) {
				values[i] = p[strings.LastIndex(p, "/")+1:]
			}
		}
		for _, t := range []struct {
			on  bool
			dst *map[string]any
		}{{access, &out.access}, {id, &out.id}, {userinfo, &out.userinfo}} {
			if t.on {
				if *t.dst == nil {
					*t.dst = map[string]any{}
				}
				setClaim(*t.dst, path, values)
			}
		}
	}
	return out, nil
}

// claimPath splits a claim name at its dots (Keycloak's nested claims),
// "\." being a dot within a name; nil for an empty name or segment.
func claimPath(name string) []string {
	if name == "" {
		return nil
	}
	var path []string
	var cur strings.Builder
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] == '\\' && i+1 < len(name) && name[i+1] == '.':
			cur.WriteByte('.')
			i++
		case name[i] == '.':
			path = append(path, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(name[i])
		}
	}
	path = append(path, cur.String())
	for _, p := range path {
		if p == "" {
			return nil
		}
	}
	return path
}

// setClaim sets the claim at path in m, making the objects on the way; a
// value already at a prefix of path that is not an object is replaced.
func setClaim(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// withClaims returns the JSON object payload with claims added; claims
// holds no claim of payload (mapClaims keeps reserved names out).
func withClaims(payload []byte, claims map[string]any) ([]byte, error) {
	if len(claims) == 0 {
		return payload, nil
	}
	extra, err := json.Marshal(claims) // sorted keys: the same claims, the same bytes
	if err != nil {
		return nil, err
	}
	payload = bytes.TrimSpace(payload)
	if len(payload) < 2 || payload[0] != '{' || payload[len(payload)-1] != '}' {
		return nil, fmt.Errorf("auth: claims are not a JSON object")
	}
	if bytes.Equal(payload, []byte("{}")) {
		return extra, nil
	}
	out := make([]byte, 0, len(payload)+len(extra))
	out = append(out, payload[:len(payload)-1]...)
	out = append(out, ',')
	return append(out, extra[1:]...), nil
}

// reservedClaims returns the names of the claims auth writes itself in
// access tokens, ID tokens and userinfo answers (the JSON names of
// AccessClaims, IDClaims and UserInfo), which no mapper may set.
func reservedClaims() map[string]bool {
	names := map[string]bool{}
	for _, v := range []any{AccessClaims{}, IDClaims{}, UserInfo{}} {
		t := reflect.TypeOf(v)
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				names[name] = true
			}
		}
	}
	return names
}
