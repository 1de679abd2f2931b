package userspg_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
)

// copyUsernames writes users with the given usernames into realm "acme"
// with COPY (the search's strategy depends on thousands of matches) and
// analyzes the table.
func copyUsernames(t *testing.T, pool *pgxpool.Pool, names []string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	rows := make([][]any, 0, len(names))
	for _, n := range names {
		rows = append(rows, []any{"acme", iam.NewID(), n, n + "@example.com", n + "@example.com", true, "", "", true,
			"{}", []string{}, now, now})
	}
	cols := []string{"realm_name", "id", "username", "email", "email_key", "email_verified", "first_name", "last_name",
		"enabled", "attributes", "required_actions", "created_at", "updated_at"}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"users"}, cols, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE users"); err != nil {
		t.Fatal(err)
	}
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return out
}

// A search's first pages cost what the page needs, not what the realm
// holds: a prefix or infix search with thousands of matches is answered by
// walking the username index (one statement); one whose walk does not fill
// the page — few matches, or matches late in username order, out of the
// walk's reach — then sorts all its matches (two); exact searches and deep
// pages only sort (one). Every answer is the page a sort of all the
// matches gives.
func TestSearchStrategies(t *testing.T) {
	ctx := context.Background()
	pool, statements := iamtest.PostgresCounting(t)
	if err := userspg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	// 3,000 "bb…" users, 11,000 "cc…" and, last in username order and
	// beyond the walk's reach, 2,500 "zz…"; five "aa…" users match only "aa".
	all := slices.Concat(numbered("aa", 5), numbered("bb", 3000), numbered("cc", 11000), numbered("zz", 2500))
	copyUsernames(t, pool, all)
	store := userspg.New(pool)
	for _, c := range []struct {
		name        string
		filter      users.Filter
		statements  int64
		matchPrefix string
	}{
		{"FewMatchesAreSorted", users.Filter{Search: "aa", Max: 20}, 2, "aa"},
		{"ExactSearchIsSorted", users.Filter{Search: "aa00003", SearchMode: users.MatchExact, Max: 20}, 1, "aa00003"},
		{"ManySpreadMatchesAreWalked", users.Filter{Search: "b", Max: 20}, 1, "b"},
		{"ManyMatchesPageFromTheWalk", users.Filter{Search: "b", First: 100, Max: 50}, 1, "b"},
		{"InfixMatchesAreWalked", users.Filter{Search: "0", SearchMode: users.MatchInfix, First: 10, Max: 20}, 1, ""},
		{"UsernameFilterIsWalked", users.Filter{Username: "cc0", Max: 20}, 1, "cc"},
		{"MatchesBeyondTheWalkAreSorted", users.Filter{Search: "zz", First: 5, Max: 20}, 2, "zz"},
		{"AttributeFiltersAreSorted", users.Filter{Search: "b", Attributes: map[string]string{"dept": "eng"}, Max: 20}, 1, "none"},
		{"DeepPagesAreSorted", users.Filter{Search: "b", First: 1000, Max: 20}, 1, "b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			statements.Store(0)
			got, err := store.List(ctx, "acme", c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if n := statements.Load(); n != c.statements {
				t.Errorf("%d statements, want %d", n, c.statements)
			}
			var want []string
			for _, n := range all { // all is in username order
				infix := c.filter.SearchMode == users.MatchInfix && strings.Contains(n, c.filter.Search)
				if strings.HasPrefix(n, c.matchPrefix) && (c.filter.SearchMode != users.MatchInfix || infix) &&
					strings.Contains(n, c.filter.Username) {
					want = append(want, n)
				}
			}
			want = want[min(c.filter.First, len(want)):min(c.filter.First+c.filter.Max, len(want))]
			names := make([]string, len(got))
			for i, u := range got {
				names[i] = u.Username
			}
			if !slices.Equal(names, want) {
				t.Errorf("page %v, want %v", names, want)
			}
		})
	}
}
