package iamkafka

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/internal/lograte"
)

// kgoLogger passes the franz-go client's own warnings and errors (an
// unreachable broker, a topic whose id changed, a fenced member) to slog,
// through the limiter so that a failure repeating on every retry is logged
// once per interval with a count.
type kgoLogger struct {
	log   *slog.Logger
	lim   *lograte.Limiter
	attrs []slog.Attr // who logs: the group, or the publisher
}

var _ kgo.Logger = kgoLogger{}

// Level is kgo.Logger: warnings and errors only.
func (k kgoLogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

// Log is kgo.Logger. Lines with the same message and error are one failure.
func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lvl := slog.LevelWarn
	if level == kgo.LogLevelError {
		lvl = slog.LevelError
	} else if level > kgo.LogLevelWarn {
		return
	}
	attrs := append([]slog.Attr(nil), k.attrs...)
	key := msg
	for i := 0; i+1 < len(keyvals); i += 2 {
		name := fmt.Sprint(keyvals[i])
		if name == "err" || name == "error" {
			key += "|" + fmt.Sprint(keyvals[i+1])
		}
		if !slices.ContainsFunc(k.attrs, func(a slog.Attr) bool { return a.Key == name }) {
			attrs = append(attrs, slog.Any(name, keyvals[i+1]))
		}
	}
	for _, a := range k.attrs {
		key += "|" + a.Value.String()
	}
	k.lim.Log(context.Background(), k.log, lvl, key, "kafka client: "+msg, attrs...)
}

// failureKey identifies a failure for the limiter: what failed, where, and
// the error's text.
func failureKey(parts ...string) string { return strings.Join(parts, "|") }
