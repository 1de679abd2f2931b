package opengate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authpg"
	"github.com/opengate-iam/opengate/auth/authprom"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authui"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayprom"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iammetrics"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/internal/routing"
	"github.com/opengate-iam/opengate/internal/tasks"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/realms/realmspg"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/session/sessionmem"
	"github.com/opengate-iam/opengate/session/sessionredis"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/usersprom"
	"github.com/opengate-iam/opengate/users/usersredis"
)

// Server is OpenGate assembled: every service, its HTTP API and the
// background work that keeps the services consistent (outbox relays, event
// consumers, pruning). Serve Handler, call Run, and use the services for
// custom code; do not change the fields.
type Server struct {
	// The services, for custom code: they enforce the same rules and emit
	// the same events as the HTTP API.
	Realms  *realms.Service
	Clients *clients.Service
	Users   *users.Service
	RBAC    *rbac.Service
	Auth    *auth.Service
	// Sessions is the session service: auth asks it whether a session is
	// alive; it ends sessions and publishes session.terminated.
	Sessions *session.Service
	// MFA is the second-factor service: authenticator apps, recovery
	// codes, email codes; the password grant asks it.
	MFA *mfa.Service
	// Notify sends the mail (welcome, verification, reset, alerts, email
	// codes) and keeps the delivery log.
	Notify *notify.Service

	// Verifier checks bearer tokens issued by Auth; its Middleware
	// protects custom routes (it puts the caller's iam.Principal in the
	// request context).
	Verifier *authverify.Verifier

	log        *slog.Logger
	gateway    *gateway.Gateway      // the chain in front of the API
	limiter    *gatewayredis.Limiter // its limiter in Redis, if any (closed by Close)
	dbs        *Databases            // nil in memory mode
	pub        iam.Publisher         // where relays publish
	sub        iam.Subscriber        // where consumers subscribe
	cacheSub   iam.Subscriber        // nil: no cross-replica cache invalidation
	instance   string
	bus        *iambus.Bus // the in-process bus New made, if any
	consumers  []consumer
	checks     map[string]iamhttp.Check
	tasks      atomic.Pointer[tasks.Group] // Run's tasks while it runs
	outboxes   *iammetrics.Outboxes        // the outboxes' and relays' metrics
	issuerBase string                      // Config.IssuerBase
	authHTTP   *authhttp.Handler
	clientIP   func(*http.Request) string // the caller's address (OPENGATE_TRUSTED_PROXIES)
	admin      *iamhttp.AdminGuard
	handler    http.Handler
	mgmt       http.Handler
	transfer   *realmshttp.Transfer // realm imports and exports
	generated  string
}

// New builds every service over the stores cfg selects, declares the
// consumer groups on an in-process bus when cfg has none, migrates the
// databases and bootstraps the master realm (its admin-cli client, its roles
// and cfg.Admin). It starts nothing in the background: call Run. ctx bounds
// the start-up work only. Close releases what New made.
//
// Errors name the setting at fault: a missing IssuerBase, a Databases
// without some pool or without SecretKey, a malformed SecretKey, a SecretKey
// that is not the databases' (ErrSecretKeyMismatch), a Publisher without
// Subscriber or the reverse.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	log := cmp.Or(cfg.Logger, slog.Default())
	s := &Server{
		issuerBase: cfg.IssuerBase,
		log:        log,
		dbs:        cfg.Databases,
		pub:        cfg.Publisher,
		sub:        cfg.Subscriber,
		cacheSub:   cfg.CacheSubscriber,
		instance:   cmp.Or(cfg.Instance, "default"),
		checks:     map[string]iamhttp.Check{},
	}
	s.checks[BackgroundCheck] = s.checkBackground
	s.outboxes = iammetrics.NewOutboxes()
	if s.pub == nil {
		s.bus = iambus.New(iambus.WithLogger(log))
		s.pub, s.sub = s.bus, s.bus
	}
	if err := s.build(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	if s.bus != nil {
		// Before anything publishes, so the consumers, once Run starts
		// them, see every event since start-up (the bootstrap's among
		// them).
		for _, c := range s.consumers {
			if err := s.bus.Declare(c.group, c.topics...); err != nil {
				s.Close()
				return nil, err
			}
		}
	}
	if err := s.bootstrap(ctx, cfg.Admin); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// check validates cfg's combinations.
func (cfg Config) check() error {
	if cfg.IssuerBase == "" {
		return errors.New("opengate: Config.IssuerBase is required: it is the public URL in every token's iss (e.g. https://id.example.com)")
	}
	if p, err := iamhttp.ParseRelativePath(cfg.RelativePath); err != nil || p != cfg.RelativePath {
		return fmt.Errorf("opengate: Config.RelativePath %q: a path as /auth, without a trailing slash (iamhttp.ParseRelativePath)", cfg.RelativePath)
	}
	if u, err := url.Parse(cfg.IssuerBase); err == nil && !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), cfg.RelativePath) {
		return fmt.Errorf("opengate: Config.IssuerBase %q does not end with Config.RelativePath %q: tokens would name an issuer OpenGate does not serve", cfg.IssuerBase, cfg.RelativePath)
	}
	if (cfg.Publisher == nil) != (cfg.Subscriber == nil) {
		return errors.New("opengate: set both Config.Publisher and Config.Subscriber, or neither for the in-process bus")
	}
	if cfg.CacheSubscriber != nil && cfg.Subscriber == nil {
		return errors.New("opengate: Config.CacheSubscriber needs an external bus (Publisher and Subscriber)")
	}
	if cfg.Databases != nil {
		if err := cfg.Databases.check(); err != nil {
			return err
		}
		if cfg.SecretKey == nil {
			return errors.New("opengate: Config.SecretKey is required with Databases: secrets at rest are sealed with it (generate one with: openssl rand -base64 32)")
		}
	}
	return nil
}

// build makes the stores and services, the consumers and the HTTP handler.
func (s *Server) build(ctx context.Context, cfg Config) error {
	// The PostgreSQL stores seal secrets at rest with the deployment key;
	// memory stores keep nothing at rest and need none.
	var sealer *iamcrypto.Sealer
	var err error
	if cfg.SecretKey != nil {
		var previous [][]byte
		if cfg.PreviousSecretKey != nil {
			previous = append(previous, cfg.PreviousSecretKey)
		}
		if sealer, err = iamcrypto.NewSealer(cfg.SecretKey, previous...); err != nil {
			return fmt.Errorf("opengate: Config.SecretKey or PreviousSecretKey: %s", iam.ErrorMessage(err))
		}
	}
	var (
		realmStore  realms.Store
		clientStore clients.Store
		userStore   users.Store
		rbacStore   rbac.Store
		keyStore    auth.KeyStore
		tokenStore  auth.TokenStore
		sessions    session.Store
		authEvents  = s.pub
	)
	if d := s.dbs; d == nil {
		realmStore = realmsmem.New(s.pub, realmsmem.WithLogger(s.log))
		clientStore = clientsmem.New(s.pub, clientsmem.WithLogger(s.log))
		userStore = usersmem.New(s.pub, usersmem.WithLogger(s.log))
		rbacStore = rbacmem.New(s.pub, rbacmem.WithLogger(s.log))
		keyStore = authmem.NewKeyStore()
	} else {
		if err := d.Migrate(ctx); err != nil {
			return err
		}
		if err := checkSealingKey(ctx, d, sealer); err != nil {
			return err
		}
		for _, db := range d.list() {
			pool := *db.pool
			s.outboxes.Watch(db.name, func(ctx context.Context) (int64, time.Time, error) {
				st, err := iampg.OutboxStats(ctx, pool)
				return st.Unsent, st.Oldest, err
			})
			s.checks["postgres_"+db.name] = (*db.pool).Ping
			s.checks["sealing_key_"+db.name] = iampg.SealingKeyCheck(*db.pool, sealer)
		}
		if realmStore, err = realmspg.New(d.Realms, sealer); err != nil {
			return err
		}
		if clientStore, err = clientspg.New(d.Clients, sealer); err != nil {
			return err
		}
		userStore = userspg.New(d.Users)
		rbacStore = rbacpg.New(d.RBAC)
		if keyStore, err = authpg.NewKeyStore(d.Auth, sealer); err != nil {
			return err
		}
		authEvents = authpg.NewOutbox(d.Auth)
	}
	// Password-reset requests are counted per process in memory, or in
	// Redis for every replica together.
	resetLimiter := users.Limiter(users.NewMemoryLimiter(nil, 0))
	if rc := cfg.Redis; rc == nil {
		tokenStore = authmem.New()
		sessions = sessionmem.New()
	} else {
		s.checks["redis"] = func(ctx context.Context) error { return rc.Do(ctx, rc.B().Ping().Build()).Error() }
		tokenStore = authredis.New(rc, authredis.WithPrefix(cmp.Or(cfg.RedisPrefix, "opengate:")))
		sessions = sessionredis.New(rc, sessionredis.WithPrefix(cmp.Or(cfg.RedisPrefix, "opengate:")))
		resetLimiter = usersredis.NewLimiter(rc, usersredis.WithPrefix(cmp.Or(cfg.RedisPrefix, "opengate:")))
	}

	links, err := linkSealer(cfg)
	if err != nil {
		return err
	}
	opts := cfg.Options
	s.Realms = realms.New(realmStore, opts.Realms...)
	if s.MFA, err = s.newMFA(cfg, sealer); err != nil {
		return err
	}
	// rbac asks clients for clientIds, and clients ask rbac for service
	// accounts' roles: rbac's resolver reaches s.Clients once it is set.
	s.RBAC = rbac.New(rbacStore, append([]rbac.Option{
		rbac.WithClientResolver(rbac.ClientResolverFunc(func(ctx context.Context, realm iam.Realm, id string) (string, error) {
			return s.Clients.ClientID(ctx, realm, id)
		})), rbac.WithEffectiveRolesCache(0, 0),
	}, opts.RBAC...)...)
	// Nobody changes a user, or reads or changes the client of a service
	// account, holding admin roles they do not hold themselves: users and
	// clients read both sides' current roles from rbac.
	s.Clients = clients.New(clientStore, append([]clients.Option{clients.WithRoles(s.RBAC)}, opts.Clients...)...)
	s.Users = users.New(userStore, s.Realms, append([]users.Option{
		users.WithPublicURL(cfg.IssuerBase), users.WithLogger(s.log), users.WithRoles(s.RBAC), users.WithLinkSealer(links),
		users.WithFactorCredentials(s.MFA),
		users.WithResetLimits(resetLimiter, users.DefaultResetLimits()),
		// The user read of every refresh, userinfo and admin call comes
		// from memory; this process's changes drop it at once, other
		// replicas' through the user cache invalidation (Run).
		users.WithCache(0, 0),
		// The account API's current-password check counts against the
		// token endpoint's brute-force protection.
		users.WithPasswordGuard(auth.NewLockout(s.Realms, tokenStore, 0, nil)),
	}, opts.Users...)...)
	// Sessions publish session.terminated straight to the bus: their store
	// keeps an event that the bus refused until Run's relay publishes it.
	if s.Notify, err = s.newNotify(cfg, links); err != nil {
		return err
	}
	s.Sessions = session.New(sessions, s.Realms, append([]session.Option{
		session.WithPublisher(s.pub), session.WithLogger(s.log),
	}, opts.Sessions...)...)
	authEvents = sessionsInProcess{Publisher: authEvents, sessions: s.Sessions, log: s.log}
	// Token requests and failed logins are counted (without a realm
	// label) and failed logins logged.
	authMetrics := authprom.New()
	s.Auth, err = auth.New(cfg.IssuerBase, s.Realms, s.Clients, s.Users, s.RBAC, keyStore, tokenStore,
		append([]auth.Option{auth.WithPublisher(authEvents), auth.WithUserFinder(s.Users),
			auth.WithMetrics(authMetrics), auth.WithLogger(s.log),
			auth.WithSessionChecker(s.Sessions), auth.WithSecondFactors(s.MFA), auth.WithGroups(s.RBAC),
			// Introspection and userinfo verify a token's signature once.
			auth.WithTokenCache(0)}, opts.Auth...)...)
	if err != nil {
		return fmt.Errorf("opengate: Config.IssuerBase: %s", iam.ErrorMessage(err))
	}
	// The realm's current id comes from the realms service on every token,
	// so a deleted or re-created realm's old tokens are refused at once;
	// realm events drop the cached keys (see eventConsumers and Run).
	s.Verifier, err = authverify.New(ctx, cfg.IssuerBase,
		authverify.WithKeySource(authverify.NewLocalKeys(s.Auth.JWKS, 0)),
		authverify.WithRealmIDs(s.Auth),
		authverify.WithRevocationChecker(auth.Revocations{Store: tokenStore}),
		// The gateway chain and the routes behind it verify each token:
		// the second time (and every later request with the same token)
		// skips the signature, never the other checks.
		authverify.WithTokenCache(0))
	if err != nil {
		return fmt.Errorf("opengate: Config.IssuerBase: %s", iam.ErrorMessage(err))
	}
	s.consumers = s.eventConsumers()
	// Realm imports and exports go through each service's importer, as
	// realm-service's go through their remote clients.
	s.transfer = realmshttp.NewTransfer(s.Realms, usershttp.NewImporter(s.Users), clientshttp.NewImporter(s.Clients),
		rbachttp.NewImporter(s.RBAC), s.log)

	// Every admin call is checked against its caller's current state: a
	// disabled user, client or realm, or a role taken away, stops
	// administering at once.
	s.admin = iamhttp.NewAdminGuard(auth.NewStanding(s.Realms, s.Clients, s.Users, s.RBAC))
	// The browser sign-in: the authorization endpoint, the login and
	// account pages and RP-initiated logout, over the same services.
	uopts := []authui.Option{authui.WithSessions(s.Sessions), authui.WithAuthenticators(s.MFA),
		authui.WithLogger(s.log), authui.WithThemes(cfg.LoginThemes)}
	hopts := []authhttp.Option{authhttp.WithAdminGuard(s.admin)}
	s.clientIP = authhttp.RemoteIP
	if len(cfg.TrustedProxies) > 0 {
		s.clientIP = authhttp.TrustForwardedFor(cfg.TrustedProxies...)
		uopts = append(uopts, authui.WithClientIP(s.clientIP))
		hopts = append(hopts, authhttp.WithClientIP(s.clientIP))
	}
	ui, err := authui.New(s.Auth, s.Users, append(uopts, opts.AuthUI...)...)
	if err != nil {
		return fmt.Errorf("opengate: the login pages: %w", err)
	}
	hopts = append(append(hopts, authhttp.WithBrowser(ui)), opts.AuthHTTP...)
	s.authHTTP = authhttp.NewHandler(s.Auth, hopts...)
	// The API sits behind the gateway chain, as the microservices sit
	// behind the gateway binary.
	metrics := gatewayprom.New()
	var gwErr error
	h := routing.New(routing.Routes{
		Metrics:            "opengate",
		Checks:             s.checks,
		Public:             s.public,
		Verifier:           s.Verifier,
		Verified:           s.verified,
		SeparateManagement: cfg.SeparateManagement,
		RelativePath:       cfg.RelativePath,
		TrustedProxies:     cfg.TrustedProxies,
		Collectors: append([]prometheus.Collector{metrics, authMetrics, usersprom.HashQueue(s.Users), s.outboxes},
			cfg.Metrics...),
		Front: func(routes http.Handler) http.Handler {
			s.gateway, gwErr = s.newGateway(cfg, routes, metrics)
			return s.gateway
		},
	}, s.log)
	if gwErr != nil {
		return fmt.Errorf("opengate: Config.CORSOrigins, RateLimits or Gateway: %s", iam.ErrorMessage(gwErr))
	}
	s.handler, s.mgmt = h.API, h.Management
	return nil
}

// Handler returns the whole HTTP API: the OIDC endpoints under
// /realms/{realm}/, the admin API under /admin/realms (every request's bearer
// token verified; admin routes authorize the caller by its current roles and
// state, see iamhttp.AdminGuard and auth.Standing), /healthz, /readyz
// (the databases, Redis and Run's background work: BackgroundCheck) and, unless Config.SeparateManagement,
// /metrics (Prometheus), behind request ids,
// the request log and panic recovery. Its paths are absolute
// (Keycloak's), so mount it at the root of a mux: mux.Handle("/", h). The
// same handler is returned on every call.
func (s *Server) Handler() http.Handler { return s.handler }

// ManagementHandler returns GET /healthz, /readyz and /metrics (counting
// Handler's requests), for a management listener of its own.
func (s *Server) ManagementHandler() http.Handler { return s.mgmt }

// Mount registers the API routes of Handler on r, without /healthz, /readyz,
// /metrics and the standard middleware (wrap r in iamhttp.Standard): for a
// custom chi router, or to walk the route table.
func (s *Server) Mount(r chi.Router) {
	s.public(r)
	r.Group(func(r chi.Router) {
		r.Use(s.Verifier.Middleware)
		s.verified(r)
	})
}

// public mounts the routes that authenticate their callers themselves.
func (s *Server) public(r chi.Router) { s.authHTTP.MountPublic(r) }

// verified mounts the routes that sit behind token verification.
func (s *Server) verified(r chi.Router) {
	s.authHTTP.Mount(r)
	realmshttp.NewHandler(s.Realms, realmshttp.WithAdminGuard(s.admin), realmshttp.WithTransfer(s.transfer)).Mount(r)
	clientshttp.NewHandler(s.Clients, clientshttp.WithAdminGuard(s.admin)).Mount(r)
	usershttp.NewHandler(s.Users, usershttp.WithAdminGuard(s.admin), usershttp.WithClientIP(s.clientIP),
		usershttp.WithAccountPages(s.issuerBase)).Mount(r)
	rbachttp.NewHandler(s.RBAC, rbachttp.WithAdminGuard(s.admin), rbachttp.WithUsers(s.Users)).Mount(r)
	sessionhttp.NewHandler(s.Sessions, sessionhttp.WithAdminGuard(s.admin)).Mount(r)
	mfahttp.NewHandler(s.MFA, mfahttp.WithAdminGuard(s.admin)).Mount(r)
	notifyhttp.NewHandler(s.Notify, notifyhttp.WithAdminGuard(s.admin)).Mount(r)
}

// GeneratedAdminPassword returns the password New generated for the
// bootstrap administrator it created, to be shown once; "" when New created
// no administrator or Config.Admin had a password.
func (s *Server) GeneratedAdminPassword() string { return s.generated }

// Close releases what New made (the in-process bus, if any; the rate
// limiter's synchronisation with Redis, after sending its last counts). It
// closes neither the databases nor the Redis client: their opener does.
// Call it after Run has returned, before closing the Redis client.
func (s *Server) Close() {
	if s.limiter != nil {
		s.limiter.Close()
	}
	if s.bus != nil {
		_ = s.bus.Close()
	}
}

// pools returns the database pools by service name (none in memory mode).
func (s *Server) pools() map[string]*pgxpool.Pool {
	pools := map[string]*pgxpool.Pool{}
	if s.dbs != nil {
		for _, db := range s.dbs.list() {
			pools[db.name] = *db.pool
		}
	}
	return pools
}
