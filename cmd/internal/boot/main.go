package boot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main is a binary's main: it runs run with the process's arguments,
// environment and standard streams until SIGINT or SIGTERM, and exits with
// Exit's status.
func Main(name string, run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(Exit(name, err, os.Stderr))
}

// Exit returns the exit status of binary name whose run returned err: 0 for
// nil and for flag.ErrHelp (-h or -help printed the usage, as asked); else
// it writes "name: err" to stderr and returns 1. (A wrong flag also returns
// 1: the flag package has printed what is wrong and the usage.)
func Exit(name string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
