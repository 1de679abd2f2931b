package mfa_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/mfa"
)

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com": "a…@example.com",
		"é@example.com":     "é…@example.com",
		"@example.com":      "…",
		"not-an-address":    "…",
		"":                  "…",
	} {
		if got := mfa.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// The log sender says a code was sent and to whom, masked; the code itself
// only when RevealCodes says so (OPENGATE_MFA_LOG_CODES).
func TestLogSenderNeverLogsTheCodeUnlessTold(t *testing.T) {
	msg := mfa.Message{Realm: "acme", UserID: "u1", Channel: mfa.ChannelEmail, To: "alice@example.com",
		Code: "493817", ExpiresAt: time.Now().Add(5 * time.Minute)}
	for _, reveal := range []bool{false, true} {
		var buf bytes.Buffer
		s := mfa.LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil)), RevealCodes: reveal}
		if err := s.SendOTP(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "code sent to a…@example.com") || strings.Contains(out, "alice@") {
			t.Fatalf("log = %q", out)
		}
		if strings.Contains(out, "493817") != reveal {
			t.Fatalf("RevealCodes %v: log = %q", reveal, out)
		}
	}
}
