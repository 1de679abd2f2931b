package boot_test

import (
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
)

func TestParseLogging(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		def     string
		want    boot.Logging
		wantErr string
	}{
		{"DefaultsToTheBinarysFormatAndInfo", nil, "json", boot.Logging{JSON: true, Level: slog.LevelInfo}, ""},
		{"TextDefault", nil, "text", boot.Logging{Level: slog.LevelInfo}, ""},
		{"FormatOverridesTheDefault", map[string]string{"OPENGATE_LOG_FORMAT": "text"}, "json", boot.Logging{Level: slog.LevelInfo}, ""},
		{"DebugLevel", map[string]string{"OPENGATE_LOG_LEVEL": "debug"}, "json", boot.Logging{JSON: true, Level: slog.LevelDebug}, ""},
		{"LevelIsCaseInsensitive", map[string]string{"OPENGATE_LOG_LEVEL": "WARN"}, "text", boot.Logging{Level: slog.LevelWarn}, ""},
		{"UnknownFormatNamesTheVariable", map[string]string{"OPENGATE_LOG_FORMAT": "xml"}, "json", boot.Logging{}, "OPENGATE_LOG_FORMAT"},
		{"UnknownLevelNamesTheVariable", map[string]string{"OPENGATE_LOG_LEVEL": "loud"}, "json", boot.Logging{}, "OPENGATE_LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := boot.ParseLogging(boottest.Env(tt.env), tt.def)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestLoggerDropsRecordsBelowItsLevel(t *testing.T) {
	var out strings.Builder
	log := boot.Logging{JSON: true, Level: slog.LevelWarn}.Logger(&out, "service", "rbac")
	log.Info("dropped")
	log.Warn("kept")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rec map[string]any
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &rec) != nil || rec["msg"] != "kept" || rec["service"] != "rbac" {
		t.Fatalf("log = %q", out.String())
	}
}

func TestPrintIsJSONInJSONMode(t *testing.T) {
	var text, js strings.Builder
	boot.Logging{}.Print(&text, "x listening on :1", "addr", ":1")
	boot.Logging{JSON: true}.Print(&js, "x listening on :1", "addr", ":1")
	if text.String() != "x listening on :1\n" {
		t.Fatalf("text = %q", text.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(js.String()), &rec); err != nil || rec["msg"] != "x listening on :1" || rec["addr"] != ":1" || rec["level"] != "INFO" {
		t.Fatalf("json = %q (%v)", js.String(), err)
	}
}

func TestExit(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"Success", nil, 0, ""},
		{"HelpIsSuccess", flag.ErrHelp, 0, ""},
		{"FailureIsNamed", errors.New("OPENGATE_ISSUER_BASE is required"), 1, "rbac-service: OPENGATE_ISSUER_BASE is required\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := boot.Exit("rbac-service", tt.err, &stderr); code != tt.code || stderr.String() != tt.stderr {
				t.Fatalf("= %d %q, want %d %q", code, stderr.String(), tt.code, tt.stderr)
			}
		})
	}
}
