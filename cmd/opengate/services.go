package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authpg"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/realms/realmspg"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userspg"
)

// services are the in-process services of the all-in-one binary, plus what
// runs beside them: outbox relays and readiness checks.
type services struct {
	realms  *realms.Service
	clients *clients.Service
	users   *users.Service
	rbac    *rbac.Service
	auth    *auth.Service
	revoked auth.RevocationStore

	relays []*iampg.Relay
	pools  map[string]*pgxpool.Pool // by service; empty in memory mode
	checks map[string]iamhttp.Check
	close  []func()
}

func (s *services) Close() {
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
}

// newServices builds every service over memory or PostgreSQL stores and
// memory or Redis ephemeral state, publishing on pub.
func newServices(ctx context.Context, cfg config, pub iam.Publisher, log *slog.Logger) (*services, error) {
	s := &services{checks: map[string]iamhttp.Check{}}
	var (
		realmStore  realms.Store
		clientStore clients.Store
		userStore   users.Store
		rbacStore   rbac.Store
		keyStore    auth.KeyStore
		tokenStore  auth.TokenStore
		authEvents  iam.Publisher = pub
		sealer      *iamcrypto.Sealer
	)
	if cfg.SecretKey != "" {
		key, err := iamcrypto.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("OPENGATE_SECRET_KEY: %w", err)
		}
		if sealer, err = iamcrypto.NewSealer(key); err != nil {
			return nil, fmt.Errorf("OPENGATE_SECRET_KEY: %w", err)
		}
	} else {
		// The embedded default: secrets sealed under a per-process key,
		// which is fine because they live only in this process's memory.
		var err error
		if sealer, err = iamcrypto.NewSealer(iamcrypto.GenerateKey()); err != nil {
			return nil, err
		}
	}

	if cfg.PostgresURL == "" {
		realmStore = realmsmem.New(pub)
		clientStore = clientsmem.New(pub)
		userStore = usersmem.New(pub, usersmem.WithLogger(log))
		rbacStore = rbacmem.New(pub)
		keyStore = authmem.NewKeyStore()
	} else {
		pools, err := openServiceDatabases(ctx, cfg.PostgresURL, cfg.DBPrefix)
		if err != nil {
			return nil, err
		}
		s.pools = pools
		for name, pool := range pools {
			s.close = append(s.close, pool.Close)
			s.checks["postgres_"+name] = pool.Ping
			s.relays = append(s.relays, iampg.NewRelay(pool, pub, iampg.WithLogger(log.With("relay", name))))
		}
		realmStore = realmspg.New(pools["realms"], realmspg.WithSealer(sealer))
		clientStore = clientspg.New(pools["clients"])
		userStore = userspg.New(pools["users"])
		rbacStore = rbacpg.New(pools["rbac"])
		keyStore = authpg.NewKeyStore(pools["auth"], sealer)
		authEvents = authpg.NewOutbox(pools["auth"])
	}
	if cfg.MigrateOnly {
		return s, nil
	}

	if cfg.RedisURL == "" {
		tokenStore = authmem.New()
	} else {
		opt, err := rueidis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("OPENGATE_REDIS_URL: %w", err)
		}
		rc, err := rueidis.NewClient(opt)
		if err != nil {
			return nil, fmt.Errorf("connect to Redis: %w", err)
		}
		s.close = append(s.close, rc.Close)
		s.checks["redis"] = func(ctx context.Context) error {
			return rc.Do(ctx, rc.B().Ping().Build()).Error()
		}
		tokenStore = authredis.New(rc, authredis.WithPrefix("opengate:"))
	}

	s.realms = realms.New(realmStore)
	s.clients = clients.New(clientStore, sealer)
	s.users = users.New(userStore, s.realms, users.WithPublicURL(cfg.IssuerBase), users.WithLogger(log))
	s.rbac = rbac.New(rbacStore, rbac.WithClientResolver(s.clients), rbac.WithEffectiveRolesCache(0, 0))
	a, err := auth.New(cfg.IssuerBase, s.realms, s.clients, s.users, s.rbac, keyStore, tokenStore,
		auth.WithPublisher(authEvents))
	if err != nil {
		return nil, err
	}
	s.auth = a
	s.revoked = tokenStore
	return s, nil
}

// serviceDatabase is one service's database, as in the microservice
// deployment: <prefix><name>, e.g. opengate_users.
type serviceDatabase struct {
	name    string
	migrate func(context.Context, *pgxpool.Pool) error
}

func serviceDatabases() []serviceDatabase {
	return []serviceDatabase{
		{"realms", realmspg.Migrate},
		{"clients", clientspg.Migrate},
		{"users", userspg.Migrate},
		{"rbac", rbacpg.Migrate},
		{"auth", authpg.Migrate},
	}
}

// openServiceDatabases opens (creating and migrating as needed) one database
// per service on the server of serverURL. On error every pool it opened is
// closed.
func openServiceDatabases(ctx context.Context, serverURL, prefix string) (map[string]*pgxpool.Pool, error) {
	pools := map[string]*pgxpool.Pool{}
	for _, db := range serviceDatabases() {
		pool, err := openServiceDatabase(ctx, serverURL, prefix+db.name, db.migrate)
		if err != nil {
			for _, p := range pools {
				p.Close()
			}
			return nil, fmt.Errorf("database %s%s: %w", prefix, db.name, err)
		}
		pools[db.name] = pool
	}
	return pools, nil
}

func openServiceDatabase(ctx context.Context, serverURL, name string, migrate func(context.Context, *pgxpool.Pool) error) (*pgxpool.Pool, error) {
	dbURL, err := createDatabase(ctx, serverURL, name)
	if err != nil {
		return nil, err
	}
	return boot.OpenPostgres(ctx, dbURL, migrate)
}

// bootstrap creates the master realm, its default client and roles, and the
// administrator (given the admin role while no one else holds it). It returns the generated password when it made one (to be
// shown once), else "".
func (s *services) bootstrap(ctx context.Context, cfg config, log *slog.Logger) (generated string, err error) {
	if _, err := s.realms.EnsureMaster(ctx); err != nil {
		return "", fmt.Errorf("bootstrap master realm: %w", err)
	}
	if err := s.clients.EnsureDefaults(ctx, iam.MasterRealm); err != nil {
		return "", fmt.Errorf("bootstrap admin-cli: %w", err)
	}
	if err := s.rbac.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		return "", fmt.Errorf("bootstrap master roles: %w", err)
	}
	password := cfg.AdminPassword
	if password == "" {
		password = iamcrypto.RandomToken(18)
	}
	admin, created, err := s.users.EnsureAdmin(ctx, cfg.AdminUser, password)
	if err != nil {
		return "", fmt.Errorf("bootstrap administrator: %w", err)
	}
	// Only while no one else administers master: a user who took the
	// administrator's username later is not made administrator.
	granted, err := s.rbac.GrantBootstrapAdmin(ctx, admin.ID)
	if err != nil {
		return "", fmt.Errorf("grant admin role: %w", err)
	}
	if !granted {
		log.Warn("the user named by OPENGATE_ADMIN_USER is not given the admin role: other users of master hold it", "user", cfg.AdminUser)
	}
	if created && cfg.AdminPassword == "" {
		return password, nil
	}
	return "", nil
}
