package boottest

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
)

// Help checks that the binary of run answers -h as a command-line tool
// should: it prints its usage (which lists -addr) to stderr, starts nothing,
// and exits 0 (boot.Exit of what run returns).
func Help(t testing.TB, run RunFunc) {
	t.Helper()
	for _, arg := range []string{"-h", "-help"} {
		var stderr strings.Builder
		err := run(context.Background(), []string{arg}, Env(nil), io.Discard, &stderr)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("run(%s) = %v, want flag.ErrHelp", arg, err)
		}
		if !strings.Contains(stderr.String(), "-addr") {
			t.Fatalf("run(%s) printed %q, want the usage", arg, stderr.String())
		}
		var exit strings.Builder
		if code := boot.Exit("binary", err, &exit); code != 0 || exit.Len() != 0 {
			t.Fatalf("exit status %d (%q), want 0 and nothing more", code, exit.String())
		}
	}
}
