package boot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/realms"
)

// SMTP reads the deployment's default mail server, for realms without
// smtpServer settings: OPENGATE_SMTP_HOST (none: nil), OPENGATE_SMTP_PORT
// (default by security: 587, 465, 25), OPENGATE_SMTP_FROM (required with a
// host), OPENGATE_SMTP_FROM_NAME, OPENGATE_SMTP_REPLY_TO,
// OPENGATE_SMTP_USER, OPENGATE_SMTP_PASSWORD (environment only) and
// OPENGATE_SMTP_SECURITY: starttls (default), ssl or none. The settings
// obey a realm's rules (realms.SMTP.Validate); errors name the variable and
// never repeat the password.
func SMTP(getenv func(string) string) (*notify.Server, error) {
	host := strings.TrimSpace(getenv("OPENGATE_SMTP_HOST"))
	if host == "" {
		return nil, nil
	}
	s := realms.SMTP{Host: host, From: getenv("OPENGATE_SMTP_FROM"), FromName: getenv("OPENGATE_SMTP_FROM_NAME"),
		ReplyTo: getenv("OPENGATE_SMTP_REPLY_TO"), User: getenv("OPENGATE_SMTP_USER"), Password: getenv("OPENGATE_SMTP_PASSWORD")}
	if p := getenv("OPENGATE_SMTP_PORT"); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("OPENGATE_SMTP_PORT: %q is not a port", p)
		}
		s.Port = port
	}
	switch v := strings.ToLower(getenv("OPENGATE_SMTP_SECURITY")); v {
	case "", "starttls":
		s.StartTLS = true
	case "ssl":
		s.SSL = true
	case "none":
	default:
		return nil, fmt.Errorf("OPENGATE_SMTP_SECURITY: %q is not starttls, ssl or none", v)
	}
	if err := s.Validate(); err != nil {
		name := strings.TrimPrefix(iam.ErrorField(err), "smtpServer.")
		env := map[string]string{"host": "HOST", "port": "PORT", "from": "FROM", "fromDisplayName": "FROM_NAME",
			"replyTo": "REPLY_TO", "user": "USER", "password": "PASSWORD"}[name]
		if env == "" {
			env = "SETTINGS"
		}
		msg := iam.ErrorMessage(err)
		if s.Password != "" {
			msg = strings.ReplaceAll(msg, s.Password, notify.Masked)
		}
		return nil, fmt.Errorf("OPENGATE_SMTP_%s: %s", env, msg)
	}
	if s.User != "" && !s.SSL && !s.StartTLS {
		return nil, fmt.Errorf("OPENGATE_SMTP_SECURITY: none sends OPENGATE_SMTP_PASSWORD in clear; use starttls or ssl")
	}
	return &notify.Server{Host: s.Host, Port: s.Port, From: s.From, FromName: s.FromName, ReplyTo: s.ReplyTo,
		User: s.User, Password: s.Password, SSL: s.SSL, StartTLS: s.StartTLS}, nil
}

// NotifyMaxAttempts reads OPENGATE_NOTIFY_MAX_ATTEMPTS, how many attempts a
// mail gets before the notify service marks it failed (default
// notify.DefaultMaxAttempts; 1 to 100).
func NotifyMaxAttempts(getenv func(string) string) (int, error) {
	v := getenv("OPENGATE_NOTIFY_MAX_ATTEMPTS")
	if v == "" {
		return notify.DefaultMaxAttempts, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, fmt.Errorf("OPENGATE_NOTIFY_MAX_ATTEMPTS: %q is not a number from 1 to 100", v)
	}
	return n, nil
}
