package userspg

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg/internal/db"
)

// escapeLike escapes LIKE's wildcards and its escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// pattern turns a lowercase match value into a LIKE pattern ("" for none).
func pattern(value string, mode users.Match) string {
	if value == "" {
		return ""
	}
	v := escapeLike(strings.ToLower(value))
	switch mode {
	case users.MatchExact:
		return v
	case users.MatchInfix:
		return "%" + v + "%"
	default:
		return v + "%"
	}
}

func boolParam(b *bool) pgtype.Bool {
	if b == nil {
		return pgtype.Bool{}
	}
	return pgtype.Bool{Bool: *b, Valid: true}
}

// filterParams are the WHERE parameters shared by ListUsers and CountUsers.
type filterParams struct {
	search, username, email, first, last string
	enabled, verified                    pgtype.Bool
	attributes                           []byte
}

func toFilterParams(f users.Filter) (filterParams, error) {
	field := users.MatchInfix
	if f.Exact {
		field = users.MatchExact
	}
	attrs := map[string][]string{}
	for k, v := range f.Attributes {
		attrs[k] = []string{v}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return filterParams{}, err
	}
	return filterParams{
		search: pattern(f.Search, f.SearchMode), username: pattern(f.Username, field), email: pattern(f.Email, field),
		first: pattern(f.FirstName, field), last: pattern(f.LastName, field),
		enabled: boolParam(f.Enabled), verified: boolParam(f.EmailVerified), attributes: raw,
	}, nil
}

// List implements users.Store: an unfiltered (or only boolean-filtered)
// listing walks the username index; a search collects its matches through
// the realm's search indexes first, planned with its values (customPlans).
func (s *Store) List(ctx context.Context, realm iam.Realm, f users.Filter) ([]users.User, error) {
	const op = "userspg.List"
	p, err := toFilterParams(f)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	maxRows := f.Max
	if maxRows <= 0 {
		maxRows = users.MaxPageSize
	}
	first, limit := int32(min(max(f.First, 0), 1<<31-1)), int32(min(maxRows, 1<<31-1))
	q := queries(s.db)
	if p.search == "" && p.username == "" && p.email == "" && p.first == "" && p.last == "" && len(f.Attributes) == 0 {
		rows, err := q.ListUsers(ctx, db.ListUsersParams{RealmName: string(realm), Enabled: p.enabled,
			EmailVerified: p.verified, FirstRow: first, MaxRows: limit})
		if err != nil {
			return nil, mapError(op, err)
		}
		return usersFromRows(rows)
	}
	rows, err := queries(customPlans{s.db}).SearchUsers(ctx, db.SearchUsersParams{RealmName: string(realm), Search: p.search,
		UsernamePattern: p.username, EmailPattern: p.email, FirstNamePattern: p.first, LastNamePattern: p.last,
		Enabled: p.enabled, EmailVerified: p.verified, Attributes: p.attributes, FirstRow: first, MaxRows: limit})
	if err != nil {
		return nil, mapError(op, err)
	}
	out := make([]db.User, 0, len(rows))
	for _, r := range rows {
		out = append(out, db.User(r))
	}
	return usersFromRows(out)
}

// Count implements users.Store; like a search, it is planned with its
// values (customPlans).
func (s *Store) Count(ctx context.Context, realm iam.Realm, f users.Filter) (int, error) {
	const op = "userspg.Count"
	p, err := toFilterParams(f)
	if err != nil {
		return 0, iam.Wrap(op, err)
	}
	n, err := queries(customPlans{s.db}).CountUsers(ctx, db.CountUsersParams{RealmName: string(realm), Search: p.search,
		UsernamePattern: p.username, EmailPattern: p.email, FirstNamePattern: p.first, LastNamePattern: p.last,
		Enabled: p.enabled, EmailVerified: p.verified, Attributes: p.attributes})
	if err != nil {
		return 0, mapError(op, err)
	}
	return int(n), nil
}
