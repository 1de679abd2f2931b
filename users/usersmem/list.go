package usersmem

import (
	"context"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// List implements users.Store.
func (s *Store) List(_ context.Context, realm iam.Realm, f users.Filter) ([]users.User, error) {
	matched := s.match(realm, f)
	slices.SortFunc(matched, func(a, b users.User) int { return strings.Compare(a.Username, b.Username) })
	if f.First >= len(matched) {
		return []users.User{}, nil
	}
	matched = matched[f.First:]
	if f.Max > 0 && len(matched) > f.Max {
		matched = matched[:f.Max]
	}
	return matched, nil
}

// Count implements users.Store.
func (s *Store) Count(_ context.Context, realm iam.Realm, f users.Filter) (int, error) {
	return len(s.match(realm, f)), nil
}

// match returns copies of the users of realm matching f.
func (s *Store) match(realm iam.Realm, f users.Filter) []users.User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.realm(realm, false)
	if r == nil {
		return []users.User{}
	}
	out := []users.User{}
	for _, rec := range r.users {
		if matches(rec.user, f) {
			out = append(out, rec.user.Clone())
		}
	}
	return out
}

// matches applies the Filter's documented semantics to u.
func matches(u users.User, f users.Filter) bool {
	username, email := strings.ToLower(u.Username), strings.ToLower(u.Email)
	first, last := strings.ToLower(u.FirstName), strings.ToLower(u.LastName)
	if f.Search != "" {
		search := strings.ToLower(f.Search)
		if !like(username, search, f.SearchMode) && !like(email, search, f.SearchMode) &&
			!like(first, search, f.SearchMode) && !like(last, search, f.SearchMode) {
			return false
		}
	}
	mode := users.MatchInfix
	if f.Exact {
		mode = users.MatchExact
	}
	for _, c := range []struct{ field, want string }{
		{username, f.Username}, {email, f.Email}, {first, f.FirstName}, {last, f.LastName},
	} {
		if c.want != "" && !like(c.field, strings.ToLower(c.want), mode) {
			return false
		}
	}
	if f.Enabled != nil && u.Enabled != *f.Enabled {
		return false
	}
	if f.EmailVerified != nil && u.EmailVerified != *f.EmailVerified {
		return false
	}
	for k, v := range f.Attributes {
		if !slices.Contains(u.Attributes[k], v) {
			return false
		}
	}
	return true
}

// like matches value against pattern with mode (both lowercase).
func like(value, pattern string, mode users.Match) bool {
	switch mode {
	case users.MatchExact:
		return value == pattern
	case users.MatchInfix:
		return strings.Contains(value, pattern)
	default:
		return strings.HasPrefix(value, pattern)
	}
}
