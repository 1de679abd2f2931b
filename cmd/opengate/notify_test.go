package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

// With OPENGATE_SMTP_* the all-in-one mails through that server: a new
// user's welcome arrives there.
func TestRunMailsThroughTheConfiguredServer(t *testing.T) {
	smtp := notifytest.NewSMTPServer(t)
	s := start(t, map[string]string{"OPENGATE_ADMIN_PASSWORD": "bootstrap-Passw0rd",
		"OPENGATE_SMTP_HOST": smtp.Host, "OPENGATE_SMTP_PORT": strconv.Itoa(smtp.Port), "OPENGATE_SMTP_SECURITY": "none",
		"OPENGATE_SMTP_FROM": "id@example.com", "OPENGATE_SMTP_FROM_NAME": "Example ID", "OPENGATE_NOTIFY_MAX_ATTEMPTS": "2"})
	admin := s.token(t, "master", "admin-cli", "admin", s.password)
	resp, body := s.Call(t, http.MethodPost, "/admin/realms/master/users", admin,
		`{"username":"mia","email":"mia@example.com","enabled":true}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	boottest.Eventually(t, 30*time.Second, "no welcome mail", func() bool { return len(smtp.Messages()) > 0 })
	m := smtp.Messages()[0]
	if m.Subject() != "Welcome to Master" || m.To[0] != "mia@example.com" || m.Address("From").Name != "Example ID" {
		t.Fatalf("mail %q to %v from %v", m.Subject(), m.To, m.Address("From"))
	}
	if !strings.Contains(m.Text, "/realms/master/account") {
		t.Fatalf("text:\n%s", m.Text)
	}
}

func TestRunRefusesUnusableSMTPSettings(t *testing.T) {
	for name, tt := range map[string]struct {
		env  map[string]string
		want string
	}{
		"NoFrom":      {map[string]string{"OPENGATE_SMTP_HOST": "smtp.example.com"}, "OPENGATE_SMTP_FROM"},
		"BadAttempts": {map[string]string{"OPENGATE_NOTIFY_MAX_ATTEMPTS": "0"}, "OPENGATE_NOTIFY_MAX_ATTEMPTS"},
		"ClearPassword": {map[string]string{"OPENGATE_SMTP_HOST": "smtp.example.com", "OPENGATE_SMTP_FROM": "a@example.com",
			"OPENGATE_SMTP_USER": "u", "OPENGATE_SMTP_PASSWORD": "pw-0123456789", "OPENGATE_SMTP_SECURITY": "none"}, "OPENGATE_SMTP_SECURITY"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), nil, boottest.Env(tt.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "pw-0123456789") {
				t.Fatalf("run = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
