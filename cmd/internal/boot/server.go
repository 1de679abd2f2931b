package boot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/internal/tasks"
)

// NewLogger returns the JSON logger of a microservice: every record carries
// service=service.
func NewLogger(stderr io.Writer, service string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(stderr, nil)).With("service", service)
}

// Server runs a microservice's HTTP API and, beside it, its background tasks.
// Tasks are added first and started by Serve; Close closes what the Server
// opened (Kafka), so a binary defers Close right after NewServer.
type Server struct {
	name  string
	log   *slog.Logger
	tasks []task
	kafka *Kafka
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

// OpenKafka connects to the seed brokers and adds the "outbox relay" task,
// which publishes the events of outbox's outbox table to them, and the
// "processed-events pruning" task for the binary's idempotent consumers. The
// binary's consumers subscribe through the returned Kafka. Close closes it.
func (s *Server) OpenKafka(ctx context.Context, brokers []string, outbox *pgxpool.Pool) (*Kafka, error) {
	k, err := OpenKafka(ctx, brokers, s.log)
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	s.kafka = k
	s.Task("outbox relay", iampg.NewRelay(outbox, k.Publisher, iampg.WithLogger(s.log)).Run)
	s.Task("processed-events pruning", tasks.PruneProcessedEvents(outbox, tasks.PruneEvery, tasks.ProcessedRetention, s.log))
	return k, nil
}

// Serve listens on addr, starts the tasks, prints "<name> listening on
// <address>" to stdout and serves Router(rt) until ctx ends. It then shuts
// the server down gracefully, stops the tasks and waits for them, and returns
// nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, addr string, stdout io.Writer, rt Routes) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	group := tasks.NewGroup(ctx, s.log)
	defer group.Stop()
	for _, t := range s.tasks {
		group.Go(t.name, t.fn)
	}
	fmt.Fprintf(stdout, "%s listening on %s\n", s.name, ln.Addr())
	return iamhttp.ServeListener(ctx, ln, Router(rt, s.log))
}

// Close closes the Kafka connection OpenKafka made, if any. Call it after
// Serve has returned.
func (s *Server) Close() {
	if s.kafka != nil {
		s.kafka.Close()
	}
}
