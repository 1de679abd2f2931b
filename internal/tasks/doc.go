// Package tasks runs the background work of an OpenGate process beside its
// HTTP API: a Group of named tasks restarted with backoff after failures
// (outbox relays, event consumers), and the task that prunes the
// processed_events table of idempotent consumers.
//
//	group := tasks.NewGroup(ctx, log)
//	defer group.Stop()
//	group.Go("outbox relay", relay.Run)
//	group.Go("processed-events pruning", tasks.PruneProcessedEvents(pool, tasks.PruneEvery, tasks.ProcessedRetention, log))
//
// It is internal: the binaries (through cmd/internal/boot) and the root
// package opengate use it.
package tasks
