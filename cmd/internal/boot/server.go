package boot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iammetrics"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/internal/routing"
	"github.com/opengate-iam/opengate/internal/tasks"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/users"
)

// Server runs a microservice's HTTP API and, beside it, its background tasks.
// Tasks are added first and started by Serve; Close closes what the Server
// opened (Kafka, the verifier's Redis), so a binary defers Close right after
// NewServer.
type Server struct {
	name       string
	log        *slog.Logger
	tasks      []task
	kafka      *Kafka
	redis      []rueidis.Client
	collectors []prometheus.Collector // the event pipeline's metrics
	batcher    iam.Batcher            // the consumers' batches; nil: none
}

type task struct {
	name string
	fn   func(context.Context) error
}

// NewServer returns a Server for the binary name ("realm-service") that
// logs to log.
func NewServer(name string, log *slog.Logger) *Server {
	return &Server{name: name, log: log}
}

// Task adds a background task that Serve runs beside the API (see tasks.Group).
func (s *Server) Task(name string, fn func(context.Context) error) {
	s.tasks = append(s.tasks, task{name: name, fn: fn})
}

// OpenKafka connects to the brokers of kc (Config.Kafka) and adds the "outbox relay" task,
// which publishes the events of outbox's outbox table to them, and the
// "processed-events pruning" task for the binary's idempotent consumers
// (neither for a nil outbox: a binary without a database publishes
// through Kafka.Publisher itself). The binary's consumers subscribe through
// the returned Kafka. Close closes it.
func (s *Server) OpenKafka(ctx context.Context, kc KafkaConfig, outbox *pgxpool.Pool) (*Kafka, error) {
	k, err := OpenKafka(ctx, kc, s.log)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	s.kafka = k
	s.collectors = append(s.collectors, k.Metrics())
	if outbox != nil {
		outboxes := iammetrics.NewOutboxes()
		outboxes.Watch(s.name, func(ctx context.Context) (int64, time.Time, error) {
			st, err := iampg.OutboxStats(ctx, outbox)
			return st.Unsent, st.Oldest, err
		})
		s.collectors = append(s.collectors, outboxes)
		// The service's own consumer group handles a poll's events in one
		// transaction on its database (iampg.Batcher).
		s.batcher = batcherFor(outbox)
		s.Task("outbox relay", iampg.NewRelay(outbox, k.Publisher, iampg.WithLogger(s.log),
			iampg.WithObserver(outboxes.Relay(s.name))).Run)
		s.Task("processed-events pruning", tasks.PruneProcessedEvents(outbox, tasks.PruneEvery, tasks.ProcessedRetention, s.log))
	}
	return k, nil
}

// Listen are the addresses a binary serves on.
type Listen struct {
	Addr       string // the API, with /healthz and /readyz
	Management string // "" or the address of /metrics, /healthz and /readyz
	// Pprof is "" or the address of Go's runtime profiles (PprofAddr).
	Pprof string
	// Logging is the format of the lines Serve prints.
	Logging Logging
	// RelativePath and TrustedProxies are how the API's public URLs are
	// formed (routing.Routes.RelativePath and TrustedProxies): Serve gives
	// them to the routes.
	RelativePath   string
	TrustedProxies []netip.Prefix
}

// TasksCheck names the readiness check of the background tasks in /readyz
// (tasks.Group.Check): not ready until every task is up, nor while one keeps
// failing. A probe that must not depend on them uses
// /readyz?exclude=background_tasks.
const TasksCheck = "background_tasks"

// Serve listens on l.Addr (and l.Management and l.Pprof, if set), starts the tasks,
// prints "<name> listening on <address>" (and "<name> management on
// <address>") to stdout, as JSON records (with addr) in JSON mode, and serves the handlers of Routes rt until ctx
// ends. With a management address /metrics is served only there. It then
// shuts the servers down gracefully, stops the tasks and waits for them, and
// returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, l Listen, stdout io.Writer, rt Routes) error {
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return err
	}
	rt.SeparateManagement = l.Management != ""
	rt.RelativePath, rt.TrustedProxies = l.RelativePath, l.TrustedProxies
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	taskCtx := ctx
	if s.batcher != nil {
		taskCtx = iam.WithBatcher(ctx, s.batcher)
	}
	group := tasks.NewGroup(taskCtx, s.log)
	defer group.Stop()
	// /readyz waits for the background tasks too: the outbox relay
	// publishing, the consumers in their groups.
	checks := maps.Clone(rt.Checks)
	if checks == nil {
		checks = map[string]iamhttp.Check{}
	}
	checks[TasksCheck] = group.Check
	rt.Checks = checks
	rt.Collectors = append(slices.Clone(rt.Collectors), s.collectors...)
	h := routing.New(rt, s.log)
	mgmt, err := ServeManagement(ctx, l.Management, h.Management)
	if err != nil {
		ln.Close()
		return err
	}
	prof, err := ServePprof(ctx, l.Pprof)
	if err != nil {
		ln.Close()
		cancel()
		return errors.Join(err, mgmt.Wait())
	}
	for _, t := range s.tasks {
		group.Go(t.name, t.fn)
	}
	if mgmt != nil {
		l.Logging.Print(stdout, fmt.Sprintf("%s management on %s", s.name, mgmt.Addr), "service", s.name, "addr", mgmt.Addr.String())
	}
	if prof != nil {
		l.Logging.Print(stdout, fmt.Sprintf("%s profiles (pprof) on http://%s/debug/pprof/", s.name, prof.Addr), "service", s.name, "addr", prof.Addr.String())
	}
	l.Logging.Print(stdout, fmt.Sprintf("%s listening on %s", s.name, ln.Addr()), "service", s.name, "addr", ln.Addr().String())
	err = iamhttp.ServeListener(ctx, ln, h.API)
	cancel()
	return errors.Join(err, mgmt.Wait(), prof.Wait())
}

// Management is a running management listener.
type Management struct {
	Addr net.Addr
	done chan error
}

// ServeManagement serves h on addr until ctx ends; "" serves nothing and
// returns nil. Wait returns when it has stopped.
func ServeManagement(ctx context.Context, addr string, h http.Handler) (*Management, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("management address: %w", err)
	}
	m := &Management{Addr: ln.Addr(), done: make(chan error, 1)}
	go func() { m.done <- iamhttp.ServeListener(ctx, ln, h) }()
	return m, nil
}

// Wait waits for the management listener to stop after its ctx ended and
// returns its error; a nil Management returns nil at once.
func (m *Management) Wait() error {
	if m == nil {
		return nil
	}
	return <-m.done
}

// Close closes the Kafka connection OpenKafka made and the Redis connection
// Verifier made, if any. Call it after Serve has returned.
func (s *Server) Close() {
	if s.kafka != nil {
		s.kafka.Close()
	}
	for _, rc := range s.redis {
		rc.Close()
	}
}

// batcherFor batches the work-sharing consumer groups that keep their
// effects in PostgreSQL on db, the binary's database: a binary only runs
// its own service's group, whose processed events are in its database.
func batcherFor(db *pgxpool.Pool) iam.Batcher {
	b := iampg.NewBatcher()
	for _, group := range []string{clients.Consumer, rbac.Consumer, users.Consumer, mfa.Consumer, notify.Consumer} {
		b.Add(group, db)
	}
	return b
}
