package boot_test

import (
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/notify"
)

func TestSMTP(t *testing.T) {
	full := map[string]string{"OPENGATE_SMTP_HOST": "smtp.example.com", "OPENGATE_SMTP_PORT": "2525",
		"OPENGATE_SMTP_FROM": "id@example.com", "OPENGATE_SMTP_FROM_NAME": "Example ID", "OPENGATE_SMTP_REPLY_TO": "help@example.com",
		"OPENGATE_SMTP_USER": "mailer", "OPENGATE_SMTP_PASSWORD": "the-smtp-password"}
	got, err := boot.SMTP(boottest.Env(full))
	want := notify.Server{Host: "smtp.example.com", Port: 2525, From: "id@example.com", FromName: "Example ID",
		ReplyTo: "help@example.com", User: "mailer", Password: "the-smtp-password", StartTLS: true}
	if err != nil || got == nil || *got != want {
		t.Fatalf("SMTP = %+v, %v; want %+v", got, err, want)
	}
	if got, err := boot.SMTP(boottest.Env(nil)); got != nil || err != nil {
		t.Fatalf("without OPENGATE_SMTP_HOST: %+v, %v; want none", got, err)
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	if got, _ := boot.SMTP(boottest.Env(with("OPENGATE_SMTP_SECURITY", "ssl"))); got == nil || !got.SSL || got.StartTLS {
		t.Fatalf("ssl: %+v", got)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoFrom", with("OPENGATE_SMTP_FROM", ""), "OPENGATE_SMTP_FROM"},
		{"BadPort", with("OPENGATE_SMTP_PORT", "smtp"), "OPENGATE_SMTP_PORT"},
		{"BadSecurity", with("OPENGATE_SMTP_SECURITY", "tls1.3"), "OPENGATE_SMTP_SECURITY"},
		{"PasswordInClear", with("OPENGATE_SMTP_SECURITY", "none"), "OPENGATE_SMTP_SECURITY"},
		{"PasswordWithoutUser", with("OPENGATE_SMTP_USER", ""), "OPENGATE_SMTP_USER"},
		{"BadReplyTo", with("OPENGATE_SMTP_REPLY_TO", "Help <h@example.com>"), "OPENGATE_SMTP_REPLY_TO"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := boot.SMTP(boottest.Env(tt.env))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "the-smtp-password") {
				t.Fatalf("SMTP = %v, want an error naming %s without the password", err, tt.want)
			}
		})
	}
}

func TestNotifyMaxAttempts(t *testing.T) {
	if n, err := boot.NotifyMaxAttempts(boottest.Env(nil)); n != notify.DefaultMaxAttempts || err != nil {
		t.Fatalf("default = %d, %v", n, err)
	}
	if n, err := boot.NotifyMaxAttempts(boottest.Env(map[string]string{"OPENGATE_NOTIFY_MAX_ATTEMPTS": "3"})); n != 3 || err != nil {
		t.Fatalf("3 = %d, %v", n, err)
	}
	for _, v := range []string{"0", "101", "many"} {
		if _, err := boot.NotifyMaxAttempts(boottest.Env(map[string]string{"OPENGATE_NOTIFY_MAX_ATTEMPTS": v})); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
