// Command gateway is OpenGate's single public entry point (:8080) in front
// of the microservices: it routes Keycloak's public paths to the services
// (gateway.DefaultRoutes), verifies bearer tokens (each realm's JWKS read
// from auth-service, revocations from auth's Redis), answers CORS, limits
// request rates in Redis (shared by every replica), logs every request and
// propagates request ids and trace context. The services' /internal API is
// never exposed.
//
// Configuration (flags override environment; docs/configuration.md has
// every setting):
//
//	-addr / OPENGATE_ADDR          listen address (default :8080)
//	OPENGATE_ISSUER_BASE           public base URL (required): tokens' issuer
//	OPENGATE_HTTP_RELATIVE_PATH    the path the API is served under (e.g. /auth,
//	                               as Keycloak's --http-relative-path)
//	OPENGATE_REDIS_URL             auth's Redis (required): revocation list and rate-limit counters
//	OPENGATE_AUTH_URL, OPENGATE_REALMS_URL, OPENGATE_USERS_URL, OPENGATE_RBAC_URL,
//	OPENGATE_CLIENTS_URL, OPENGATE_SESSION_URL, OPENGATE_MFA_URL, OPENGATE_NOTIFY_URL
//	                               the services' base URLs
//	OPENGATE_GATEWAY_ROUTES        a JSON file of upstreams and extra routes
//	OPENGATE_RATE_LIMIT, OPENGATE_RATE_LIMIT_LOGIN, OPENGATE_RATE_LIMIT_CLIENT
//	OPENGATE_RATE_LIMIT_SYNC       exact, or how often each replica synchronises its counts with Redis
//	OPENGATE_CORS_ORIGINS, OPENGATE_TRUSTED_PROXIES, OPENGATE_SERVICE_TOKEN
//	OPENGATE_UPSTREAM_CONNECT_TIMEOUT, OPENGATE_UPSTREAM_TIMEOUT
//
// It serves /healthz, /readyz (Redis) and /metrics (or them on
// OPENGATE_MANAGEMENT_ADDR), and shuts down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("gateway", run) }
