package rbacpg_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
)

// benchRealm fills realm with a role graph and returns the id of a user
// holding 50 direct roles over three levels of composites:
//
//	50 direct roles  → each contains 2 of 40 level-1 roles
//	40 level-1 roles → each contains 2 of 20 level-2 roles
//	20 level-2 roles → each contains 2 of 10 level-3 roles (3 of them client roles)
//
// so the user holds 120 roles. 500 other users hold 3 direct roles each.
// It also returns the ids of the 50 direct roles.
func benchRealm(b *testing.B, svc *rbac.Service, realm iam.Realm) (string, int, []string) {
	b.Helper()
	ctx := context.Background()
	if err := svc.PutClient(ctx, realm, "c-app", "app"); err != nil {
		b.Fatal(err)
	}
	create := func(name, client string, children ...rbac.Role) rbac.Role {
		ids := make([]string, len(children))
		for i, c := range children {
			ids[i] = c.ID
		}
		r, err := svc.CreateRole(ctx, realm, rbac.Role{Name: name, ClientUUID: client}, ids...)
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	level := func(prefix string, n int, below []rbac.Role) []rbac.Role {
		out := make([]rbac.Role, n)
		for i := range out {
			client := ""
			if below == nil && i < 3 {
				client = "c-app"
			}
			var children []rbac.Role
			if below != nil {
				children = []rbac.Role{below[(2*i)%len(below)], below[(2*i+1)%len(below)]}
			}
			out[i] = create(fmt.Sprintf("%s-%d", prefix, i), client, children...)
		}
		return out
	}
	l3 := level("l3", 10, nil)
	l2 := level("l2", 20, l3)
	l1 := level("l1", 40, l2)
	direct := level("direct", 50, l1)
	user := iam.NewID()
	ids := make([]string, len(direct))
	for i, r := range direct {
		ids[i] = r.ID
	}
	if err := svc.AddUserRoles(ctx, realm, user, ids...); err != nil {
		b.Fatal(err)
	}
	for i := range 500 {
		if err := svc.AddUserRoles(ctx, realm, iam.NewID(), ids[i%50], ids[(i+7)%50], ids[(i+13)%50]); err != nil {
			b.Fatal(err)
		}
	}
	return user, 50 + 40 + 20 + 10, ids
}

// benchGroupMember makes the groups /top/mid/leaf, mapping the 50 direct
// roles among them (20, 15 and 15), and 100 other groups each holding 3 of
// them with 5 members each, and returns a user who belongs to /top/mid/leaf
// only: it holds the 120 roles through its group and the two above it.
func benchGroupMember(b *testing.B, svc *rbac.Service, realm iam.Realm, direct []string) string {
	b.Helper()
	ctx := context.Background()
	parent := ""
	var leaf rbac.Group
	for i, name := range []string{"top", "mid", "leaf"} {
		g, err := svc.CreateGroup(ctx, realm, rbac.Group{Name: name, ParentID: parent})
		if err != nil {
			b.Fatal(err)
		}
		lo, hi := []int{0, 20, 35}[i], []int{20, 35, 50}[i]
		if err := svc.AddGroupRoles(ctx, realm, g.ID, direct[lo:hi]...); err != nil {
			b.Fatal(err)
		}
		parent, leaf = g.ID, g
	}
	for i := range 100 {
		g, err := svc.CreateGroup(ctx, realm, rbac.Group{Name: fmt.Sprint("other-", i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.AddGroupRoles(ctx, realm, g.ID, direct[i%50], direct[(i+7)%50], direct[(i+13)%50]); err != nil {
			b.Fatal(err)
		}
		for range 5 {
			if err := svc.JoinGroup(ctx, realm, iam.NewID(), g.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	user := iam.NewID()
	if err := svc.JoinGroup(ctx, realm, user, leaf.ID); err != nil {
		b.Fatal(err)
	}
	return user
}

// benchEffectiveRoles measures EffectiveRoles of user through svc and
// reports p50 and p99.
func benchEffectiveRoles(b *testing.B, name string, svc *rbac.Service, realm iam.Realm, user string, want int) {
	ctx := context.Background()
	realmRoles, clientRoles, err := svc.EffectiveRoles(ctx, realm, user)
	if err != nil {
		b.Fatal(err)
	}
	if got := len(realmRoles) + len(clientRoles["app"]); got != want {
		b.Fatalf("user holds %d roles, want %d", got, want)
	}
	b.Run(name, func(b *testing.B) {
		durations := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			start := time.Now()
			if _, _, err := svc.EffectiveRoles(ctx, realm, user); err != nil {
				b.Fatal(err)
			}
			durations = append(durations, time.Since(start))
		}
		b.StopTimer()
		slices.Sort(durations)
		b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds())/1000, "p50-µs")
		b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds())/1000, "p99-µs")
	})
	b.Run(name+"Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := svc.EffectiveRoles(ctx, realm, user); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// benchServiceAccount gives the service account of client c-svc three
// realm roles, the shape of a client_credentials token, and returns its
// user id.
func benchServiceAccount(b *testing.B, svc *rbac.Service, realm iam.Realm) string {
	b.Helper()
	ctx := context.Background()
	if err := svc.PutClient(ctx, realm, "c-svc", "svc"); err != nil {
		b.Fatal(err)
	}
	sa := iam.ServiceAccountSubject("c-svc")
	for _, name := range []string{"orders-read", "orders-write", "reports"} {
		r, err := svc.CreateRole(ctx, realm, rbac.Role{Name: name})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.AddUserRoles(ctx, realm, sa, r.ID); err != nil {
			b.Fatal(err)
		}
	}
	return sa
}

// BenchmarkEffectiveRolesPostgres: a user with 50 direct roles over 3 levels
// of composites (120 roles), a user holding the same 50 roles through a
// group and the two groups above it, and a service account with 3 roles (a
// client_credentials token), each uncached (one recursive query) and
// through WithEffectiveRolesCache (a hit).
//
//	OPENGATE_TEST_POSTGRES_URL=... go test -run '^$' -bench EffectiveRoles ./rbac/rbacpg/
func BenchmarkEffectiveRolesPostgres(b *testing.B) {
	store := newStore(b)
	uncached := rbac.New(store)
	cached := rbac.New(store, rbac.WithEffectiveRolesCache(time.Hour, 0))
	benchRealm(b, uncached, "other") // a neighbour realm of the same shape
	user, want, direct := benchRealm(b, uncached, "acme")
	member := benchGroupMember(b, uncached, "acme", direct)
	sa := benchServiceAccount(b, uncached, "acme")
	benchEffectiveRoles(b, "User120Roles/Uncached", uncached, "acme", user, want)
	benchEffectiveRoles(b, "User120Roles/Cached", cached, "acme", user, want)
	benchEffectiveRoles(b, "GroupMember120Roles/Uncached", uncached, "acme", member, want)
	benchEffectiveRoles(b, "GroupMember120Roles/Cached", cached, "acme", member, want)
	benchEffectiveRoles(b, "ServiceAccount3Roles/Uncached", uncached, "acme", sa, 3)
	benchEffectiveRoles(b, "ServiceAccount3Roles/Cached", cached, "acme", sa, 3)
}

// BenchmarkEffectiveRolesMemory is the same graph on rbacmem, for
// comparison.
func BenchmarkEffectiveRolesMemory(b *testing.B) {
	store := rbacmem.New(nil)
	uncached := rbac.New(store)
	cached := rbac.New(store, rbac.WithEffectiveRolesCache(time.Hour, 0))
	user, want, direct := benchRealm(b, uncached, "acme")
	member := benchGroupMember(b, uncached, "acme", direct)
	benchEffectiveRoles(b, "User120Roles/Uncached", uncached, "acme", user, want)
	benchEffectiveRoles(b, "User120Roles/Cached", cached, "acme", user, want)
	benchEffectiveRoles(b, "GroupMember120Roles/Uncached", uncached, "acme", member, want)
}
