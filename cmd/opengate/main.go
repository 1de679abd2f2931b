// Command opengate runs every OpenGate service in one process behind one
// listener. With no configuration it keeps everything in memory (the embedded
// default); OPENGATE_POSTGRES_URL, OPENGATE_REDIS_URL and
// OPENGATE_KAFKA_BROKERS make it a production single-binary deployment.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "opengate:", err)
		os.Exit(1)
	}
}
