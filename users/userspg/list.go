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
	return s.search(ctx, op, realm, f, p, first, limit)
}

// The walk's bounds (see search).
const (
	// searchWalkWindow is the largest first+max for which a search walks
	// the username index before sorting all its matches.
	searchWalkWindow = 200
	// searchWalk is how many of the realm's users, in username order, the
	// walk reads at most: an index-only scan, 15–25 ms for 10,000 on the
	// benchmarks' 2-core VM at load average 13, the price of a walk that
	// does not fill the page.
	searchWalk = 10000
)

// search answers a search so that its first pages cost about the same in
// a realm of 100,000 users as in one of 1,000,000. Collecting every match
// and sorting it by username costs a table read per match: a prefix
// matching 10 % of a 1,000,000-user realm read 100,000 rows to show 20.
// So a prefix or infix search first walks the realm's users in username
// order (an index-only scan of the username index, which covers every
// filtered column but the attributes), which fills the page after about
// first+max divided by the share of users matching; if the walk's
// searchWalk users do not fill it (few matches, matches clustered late in
// username order, or a realm smaller than the walk), every match is
// collected through the search indexes and sorted. Either step alone is
// correct. Exact searches, attribute filters and deep pages only collect.
func (s *Store) search(ctx context.Context, op string, realm iam.Realm, f users.Filter, p filterParams, first, limit int32) ([]users.User, error) {
	q := queries(customPlans{s.db})
	if walkable(f) && int64(first)+int64(limit) <= searchWalkWindow {
		walked, err := q.SearchUsersWalk(ctx, db.SearchUsersWalkParams{RealmName: string(realm), WalkRows: searchWalk,
			Search: p.search, UsernamePattern: p.username, EmailPattern: p.email, FirstNamePattern: p.first,
			LastNamePattern: p.last, Enabled: p.enabled, EmailVerified: p.verified, FirstRow: first, MaxRows: limit})
		if err != nil {
			return nil, mapError(op, err)
		}
		if len(walked) == int(limit) {
			return usersFromRows(walked)
		}
	}
	rows, err := q.SearchUsers(ctx, db.SearchUsersParams{RealmName: string(realm), Search: p.search,
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

// walkable reports whether f is a search the walk may answer: a prefix or
// infix pattern, and no attribute filter (the username index does not
// cover the attributes). An exact search has few matches: collecting them
// is cheaper than any walk.
func walkable(f users.Filter) bool {
	if len(f.Attributes) > 0 {
		return false
	}
	if f.Search != "" && f.SearchMode != users.MatchExact {
		return true
	}
	return !f.Exact && (f.Username != "" || f.Email != "" || f.FirstName != "" || f.LastName != "")
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
