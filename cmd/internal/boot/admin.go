package boot

import (
	"context"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// Own are the services, or already cached remote clients, a binary holds;
// AdminGuard reads the others from the peers. Leave nil what the binary does
// not hold.
type Own struct {
	Realms  auth.RealmGetter
	Users   auth.UserGetter
	Clients auth.ClientGetter
	Roles   auth.RoleResolver
}

// AdminGuard returns the guard of the binary's admin routes (give it to
// every handler with its WithAdminGuard): each admin call is checked against
// its caller's current state (auth.Standing) — its realm enabled, its user,
// or its service account's client, enabled, and the admin role still held —
// read from own and, for what own leaves nil, from cfg.Peers' internal APIs
// with cfg.ServiceToken. Remote realms, clients and effective roles are
// cached; with bus (nil without Kafka), tasks added to s drop cached entries
// as their events arrive, else entries expire after their TTL (one minute).
// Users are read on every call, never cached: a disabled or deleted
// administrator loses admin power at once in every service (issue 10), not
// when an event or a TTL catches up.
func (s *Server) AdminGuard(cfg Config, own Own, bus *Kafka) *iamhttp.AdminGuard {
	var sub iam.Subscriber // nil without Kafka
	if bus != nil {
		sub = bus.CacheSubscriber()
	}
	if own.Realms == nil {
		getter := realms.NewCachedGetter(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken))
		if sub != nil {
			s.Task("admin guard realm cache invalidation", func(ctx context.Context) error {
				return realmskafka.RunCacheInvalidation(ctx, sub, realmskafka.CacheGroup(s.name, cfg.Instance), getter)
			})
		}
		own.Realms = getter
	}
	if own.Clients == nil {
		reader := clients.NewCachedReader(clientshttp.NewClient(cfg.Peers.Clients, cfg.ServiceToken))
		if sub != nil {
			s.Task("admin guard client cache invalidation", func(ctx context.Context) error {
				return clientskafka.RunCacheInvalidation(ctx, sub, clientskafka.CacheGroup(s.name, cfg.Instance), reader)
			})
		}
		own.Clients = reader
	}
	if own.Roles == nil {
		roles := rbac.NewCachedResolver(rbachttp.NewClient(cfg.Peers.RBAC, cfg.ServiceToken))
		if sub != nil {
			s.Task("admin guard role cache invalidation", func(ctx context.Context) error {
				return rbackafka.RunCacheInvalidation(ctx, sub, rbackafka.CacheGroup(s.name, cfg.Instance), roles)
			})
		}
		own.Roles = roles
	}
	if own.Users == nil {
		own.Users = usershttp.NewClient(cfg.Peers.Users, cfg.ServiceToken)
	}
	return iamhttp.NewAdminGuard(auth.NewStanding(own.Realms, own.Clients, own.Users, own.Roles))
}
