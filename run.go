package opengate

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/internal/tasks"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userskafka"
)

// consumer is one service's event consumer: its group, its topics and its
// handler. Adding a consuming service adds one to eventConsumers.
type consumer struct {
	name   string
	group  string
	topics []string
	handle iam.Handler
}

// eventConsumers returns the services' work-sharing consumers: each event of
// their topics is handled by one replica. Without a cache subscriber the
// token verifier follows the realm events here too, in a group of its own
// per instance (with one, Run subscribes it there).
func (s *Server) eventConsumers() []consumer {
	cs := []consumer{
		{"clients consumer", clients.Consumer, clients.Topics(), s.Clients.HandleEvent},
		{"rbac consumer", rbac.Consumer, rbac.Topics(), s.RBAC.HandleEvent},
		{"users consumer", users.Consumer, users.Topics(), s.Users.HandleEvent},
		{"auth consumer", auth.Consumer, auth.Topics(), s.Auth.HandleEvent},
		{"session consumer", session.Consumer, session.Topics(), s.Sessions.HandleEvent},
		{"mfa consumer", mfa.Consumer, mfa.Topics(), s.MFA.HandleEvent},
		{"notify consumer", notify.Consumer, notify.Topics(), s.Notify.HandleEvent},
	}
	if s.cacheSub == nil {
		cs = append(cs, consumer{"token verifier realm events", authverify.CacheGroup("opengate", s.instance),
			authverify.Topics(), s.Verifier.HandleEvent},
			consumer{"gateway origin cache invalidation", s.gatewayOriginsGroup(), gateway.OriginTopics(), s.gatewayEvent})
	}
	return cs
}

// Run does the background work until ctx ends, then returns nil once all of
// it has stopped: the outbox relay of each database (publishing committed
// events to the bus), the event consumers (a deleted realm takes its users,
// clients, roles and keys with it; a new realm gets its admin-cli client and
// default roles; a login creates its session, a logout ends it), the relay of
// session.terminated events the bus refused (session.Service.Run), the
// notify service's delivery worker (mail out, retries),
// processed-events pruning and, with Config.CacheSubscriber, cross-replica
// cache invalidation. A task that fails is logged and started
// again after a backoff (one second doubling to a minute). Call Run once;
// without it the API works but events pile up unconsumed, and /readyz
// answers 503: its check background_tasks is ready once every relay has
// published and every consumer has joined its group, and not while one of
// them keeps failing (tasks.DefaultFailingAfter).
func (s *Server) Run(ctx context.Context) error {
	// Consumers on PostgreSQL handle a poll's events of one partition in
	// one transaction (iampg.Batcher; the bus may ignore it).
	group := tasks.NewGroup(iam.WithBatcher(ctx, s.batcher()), s.log)
	defer group.Stop()
	s.tasks.Store(group)
	defer s.tasks.Store(nil)
	for name, pool := range s.pools() {
		group.Go("outbox relay "+name, iampg.NewRelay(pool, s.pub, iampg.WithLogger(s.log.With("relay", name)),
			iampg.WithObserver(s.outboxes.Relay(name))).Run)
		group.Go("processed-events pruning "+name, tasks.PruneProcessedEvents(pool, tasks.PruneEvery, tasks.ProcessedRetention, s.log))
	}
	// Publishes the session.terminated events the bus refused when their
	// sessions ended.
	group.Go("session event relay", s.Sessions.Run)
	// Sends the mail the notify consumer recorded, and retries failures.
	group.Go("notify delivery worker", s.Notify.Run)
	// Realms made by an older version get the default clients they lack
	// (realm-management, whose roles rbac then makes).
	group.Go("default clients of existing realms", s.ensureDefaultClients)
	for _, c := range s.consumers {
		group.Go(c.name, func(ctx context.Context) error { return s.sub.Subscribe(ctx, c.group, c.topics, c.handle) })
	}
	if s.cacheSub != nil {
		// Replicas sharing the databases drop cached realms, clients,
		// users and effective roles when another replica changes them.
		group.Go("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, s.cacheSub, realmskafka.CacheGroup("opengate", s.instance), s.Realms)
		})
		group.Go("client cache invalidation", func(ctx context.Context) error {
			return clientskafka.RunCacheInvalidation(ctx, s.cacheSub, clientskafka.CacheGroup("opengate", s.instance), s.Clients)
		})
		group.Go("user cache invalidation", func(ctx context.Context) error {
			return userskafka.RunCacheInvalidation(ctx, s.cacheSub, userskafka.CacheGroup("opengate", s.instance), s.Users)
		})
		group.Go("role cache invalidation", func(ctx context.Context) error {
			return rbackafka.RunCacheInvalidation(ctx, s.cacheSub, rbackafka.CacheGroup("opengate", s.instance), s.RBAC)
		})
		group.Go("token verifier realm events", func(ctx context.Context) error {
			return s.Verifier.Follow(ctx, s.cacheSub, authverify.CacheGroup("opengate", s.instance))
		})
		group.Go("gateway origin cache invalidation", func(ctx context.Context) error {
			return s.cacheSub.Subscribe(ctx, s.gatewayOriginsGroup(), gateway.OriginTopics(), s.gatewayEvent)
		})
	}
	<-ctx.Done()
	return nil
}

// BackgroundCheck names the readiness check of Run's background work in
// /readyz; /readyz?exclude=background_tasks leaves it out.
const BackgroundCheck = "background_tasks"

// checkBackground is the readiness check of Run's tasks.
func (s *Server) checkBackground(ctx context.Context) error {
	g := s.tasks.Load()
	if g == nil {
		return errors.New("Server.Run is not running")
	}
	return g.Check(ctx)
}

// batcher batches the work-sharing consumers that keep their effects in
// PostgreSQL, each on its service's database; none in memory mode.
func (s *Server) batcher() iam.Batcher {
	b := iampg.NewBatcher()
	if d := s.dbs; d != nil {
		b.Add(clients.Consumer, d.Clients).Add(rbac.Consumer, d.RBAC).Add(users.Consumer, d.Users).
			Add(mfa.Consumer, d.MFA).Add(notify.Consumer, d.Notifications)
	}
	return b
}
