package boot

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Logging is how a binary writes its log and its start-up lines:
// OPENGATE_LOG_FORMAT and OPENGATE_LOG_LEVEL.
type Logging struct {
	// JSON makes everything the binary writes JSON, one object a line: its
	// log on stderr and the lines it prints on stdout (the banner,
	// "database migrated"), through Print.
	JSON bool
	// Level is the least level logged; records below it are dropped.
	Level slog.Level
}

// ParseLogging reads OPENGATE_LOG_FORMAT ("json" or "text", default
// defaultFormat) and OPENGATE_LOG_LEVEL ("debug", "info", "warn" or
// "error", case-insensitive; default "info"). The errors name the variable
// and the values it takes.
func ParseLogging(getenv func(string) string, defaultFormat string) (Logging, error) {
	var l Logging
	switch f := getenv("OPENGATE_LOG_FORMAT"); f {
	case "":
		l.JSON = defaultFormat == "json"
	case "json", "text":
		l.JSON = f == "json"
	default:
		return Logging{}, fmt.Errorf("OPENGATE_LOG_FORMAT must be text or json, not %q", f)
	}
	level, err := ParseLogLevel(getenv("OPENGATE_LOG_LEVEL"))
	if err != nil {
		return Logging{}, err
	}
	l.Level = level
	return l, nil
}

// ParseLogLevel reads a level setting: "debug", "info", "warn" or "error"
// (case-insensitive); "" is info.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("OPENGATE_LOG_LEVEL must be debug, info, warn or error, not %q", s)
}

// Logger returns a logger writing to w in l's format from l's level on,
// every record carrying attrs (a microservice's "service", name).
func (l Logging) Logger(w io.Writer, attrs ...any) *slog.Logger {
	opts := &slog.HandlerOptions{Level: l.Level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if l.JSON {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h).With(attrs...)
}

// Print writes one line meant for the person starting the binary (the
// banner, "database migrated") to w: msg as plain text, or in JSON mode a
// JSON record (level INFO) with msg and attrs (key-value pairs, as slog
// takes them), so that a JSON deployment's output is JSON throughout. In
// text mode attrs are not printed: msg says it all.
func (l Logging) Print(w io.Writer, msg string, attrs ...any) {
	if l.JSON {
		slog.New(slog.NewJSONHandler(w, nil)).Info(msg, attrs...)
		return
	}
	fmt.Fprintln(w, msg)
}
