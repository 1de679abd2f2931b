package auth

import (
	"context"
	"log/slog"

	"github.com/opengate-iam/opengate/iam"
)

// Metrics is told what the token endpoint and the logins do, for counters
// without a realm label (10,000 realms must not mean 10,000 series): every
// value it is given comes from a bounded set. authprom implements it for
// Prometheus.
type Metrics interface {
	// TokenRequest counts one token request by its grant (a Grant*
	// constant, or "unsupported") and its result: "issued", the OAuth
	// error code of a refusal (invalid_grant, invalid_client, ...), or the
	// iam code of a failure of OpenGate's own (unavailable, internal).
	TokenRequest(grant, result string)
	// LoginFailure counts one failed login by its reason (a Reason*
	// constant).
	LoginFailure(reason string)
}

// WithMetrics reports token requests and failed logins to m.
func WithMetrics(m Metrics) Option { return func(s *Service) { s.metrics = m } }

// WithLogger sets the logger of failed logins (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// noMetrics is the Metrics of a Service without WithMetrics.
type noMetrics struct{}

func (noMetrics) TokenRequest(string, string) {}
func (noMetrics) LoginFailure(string)         {}

// grantLabel is the grant a token request is counted under.
func grantLabel(grant string) string {
	switch grant {
	case GrantClientCredentials, GrantPassword, GrantRefreshToken, GrantAuthorizationCode:
		return grant
	}
	return "unsupported"
}

// tokenResult is the result a token request that ended with err is
// counted under.
func tokenResult(err error) string {
	if err == nil {
		return "issued"
	}
	if code := OAuthCode(err); code != "" {
		return code
	}
	return string(iam.ErrorCode(err))
}

// logLoginFailure writes one failed login at INFO: realm, client, user id
// (when the user is known), address, grant and reason — never the
// password or any other secret of the attempt.
func (s *Service) logLoginFailure(ctx context.Context, realm string, at attempt, userID, reason string) {
	attrs := []any{"realm", realm, "client", at.clientID}
	if userID != "" {
		attrs = append(attrs, "userId", userID)
	}
	attrs = append(attrs, "ip", at.ip, "grant", at.grant, "reason", reason)
	s.log.InfoContext(ctx, "login failed", attrs...)
}
