package userspg_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

var (
	benchFirst = strings.Fields("james mary john patricia robert jennifer michael linda william elizabeth david barbara " +
		"richard susan joseph jessica thomas sarah charles karen christopher nancy daniel lisa matthew betty anthony " +
		"margaret mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle kenneth dorothy " +
		"kevin carol brian amanda george melissa edward deborah")
	benchLast = strings.Fields("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez " +
		"lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez " +
		"clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores green adams " +
		"nelson baker hall rivera campbell mitchell carter roberts")
	benchDepts = strings.Fields("eng ops sales support finance legal hr marketing research design")
)

// seed bulk-loads n users into realm with COPY, plus a few in a second
// realm, and analyzes the table.
func seed(b *testing.B, realm iam.Realm, n int) *userspg.Store {
	b.Helper()
	ctx := context.Background()
	pool := iamtest.Postgres(b)
	if err := userspg.Migrate(ctx, pool); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	rows := make([][]any, 0, n+1000)
	add := func(realm iam.Realm, i int) {
		first, last := benchFirst[rng.IntN(len(benchFirst))], benchLast[rng.IntN(len(benchLast))]
		username := fmt.Sprintf("%s.%s%d", first, last, i)
		email := fmt.Sprintf("%s@example%d.com", username, i%20)
		attrs := fmt.Sprintf(`{"dept":["%s"],"employeeNumber":["%07d"]}`, benchDepts[rng.IntN(len(benchDepts))], i)
		rows = append(rows, []any{string(realm), iam.NewID(), username, email, email, rng.IntN(2) == 0,
			strings.ToUpper(first[:1]) + first[1:], strings.ToUpper(last[:1]) + last[1:], rng.IntN(10) != 0,
			attrs, []string{}, now, now})
	}
	for i := range n {
		add(realm, i)
	}
	for i := range 1000 {
		add("noise", i)
	}
	cols := []string{"realm_name", "id", "username", "email", "email_key", "email_verified", "first_name", "last_name",
		"enabled", "attributes", "required_actions", "created_at", "updated_at"}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"users"}, cols, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	// As autovacuum would after a bulk load: visibility map and statistics.
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE users"); err != nil {
		b.Fatal(err)
	}
	return userspg.New(pool)
}

// BenchmarkSearch100k measures user search through the Service over 100,000
// users of one realm (plus 1,000 of another) and reports the p50 and p99
// latency of each kind of query.
func BenchmarkSearch100k(b *testing.B) {
	const realm iam.Realm = "acme"
	store := seed(b, realm, 100_000)
	svc := users.New(store, userstest.NewRealms(userstest.Realm(realm)))
	ctx := context.Background()
	yes := true
	tests := []struct {
		name string
		f    users.Filter
	}{
		{"FirstPage", users.Filter{Max: 100}},
		{"DeepPage", users.Filter{First: 90_000, Max: 100}},
		{"SearchPrefix", users.Filter{Search: "jennifer.w", Max: 100}},
		{"SearchPrefixShort", users.Filter{Search: "jo", Max: 100}},
		{"SearchInfix", users.Filter{Search: "*ander*", Max: 100}},
		{"SearchExact", users.Filter{Search: `"mary.smith4242"`, Max: 100}},
		{"SearchNoMatch", users.Filter{Search: "*zzqq*", Max: 100}},
		{"UsernameExact", users.Filter{Username: "james.brown777", Exact: true, Max: 100}},
		{"EmailSubstring", users.Filter{Email: "example7.com", Max: 100}},
		{"AttributeQuery", users.Filter{Attributes: map[string]string{"employeeNumber": "0012345"}, Max: 100}},
		{"AttributeAndEnabled", users.Filter{Attributes: map[string]string{"dept": "legal"}, Enabled: &yes, Max: 100}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, 1024)
			for b.Loop() {
				start := time.Now()
				if _, err := svc.List(ctx, realm, tt.f); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			report(b, lat)
		})
	}
	b.Run("CountSearchInfix", func(b *testing.B) {
		lat := make([]time.Duration, 0, 1024)
		for b.Loop() {
			start := time.Now()
			if _, err := svc.Count(ctx, realm, users.Filter{Search: "*ander*"}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		report(b, lat)
	})
}

// report adds p50 and p99 latency (ms) to the benchmark's output.
func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
