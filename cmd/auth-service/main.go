// Command auth-service is OpenGate's token service as a microservice: the
// OAuth 2.0 / OpenID Connect endpoints of every realm
// (/realms/{realm}/.well-known/openid-configuration,
// /realms/{realm}/protocol/openid-connect/{token,certs,userinfo,revoke,
// token/introspect,logout}) and its admin endpoints (key rotation,
// brute-force status). Signing keys live in PostgreSQL, sealed with the
// deployment key; codes, refresh tokens, revocations and failure counters in
// Redis. Realms, clients, users and roles are read from their services'
// internal APIs (realms and clients cached, invalidated by their events).
// Its events (auth.login.success, auth.login.failure, auth.logout) are
// relayed from the outbox to Kafka; it consumes session.terminated and
// user.deleted. It asks session-service whether a session is alive on every
// refresh and introspection. It serves the browser sign-in too — the
// authorization endpoint, the login, second-factor, required-action and
// account pages, RP-initiated logout — acting for users through
// user-service's, session-service's and mfa-service's internal APIs.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR            listen address (default :8081)
//	OPENGATE_POSTGRES_URL            PostgreSQL server URL (required); the database
//	                                 {OPENGATE_DATABASE_PREFIX}auth (default prefix
//	                                 opengate_) is created if missing and migrated
//	-migrate-only                    migrate and exit
//	OPENGATE_REDIS_URL               Redis (required), e.g. redis://127.0.0.1:6379/0
//	OPENGATE_REDIS_PREFIX            key prefix (default "opengate:")
//	OPENGATE_ISSUER_BASE             public base URL of the issuer (required):
//	                                 tokens carry iss {base}/realms/{realm}
//	OPENGATE_SECRET_KEY              deployment key, 32 bytes as base64 or hex
//	                                 (required: signing keys are sealed with it)
//	OPENGATE_SERVICE_TOKEN           shared secret for the other services'
//	                                 internal APIs
//	OPENGATE_REALMS_URL              realm-service (default http://localhost:8083)
//	OPENGATE_USERS_URL               user-service (default http://localhost:8082)
//	OPENGATE_RBAC_URL                rbac-service (default http://localhost:8084)
//	OPENGATE_CLIENTS_URL             client-service (default http://localhost:8085)
//	OPENGATE_SESSIONS_URL            session-service (default http://localhost:8087),
//	                                 asked on every refresh and introspection
//	                                 whether the session is alive
//	OPENGATE_KAFKA_BROKERS           comma-separated seed brokers (required unless
//	                                 -migrate-only: events cross processes only
//	                                 through Kafka)
//	OPENGATE_TRUSTED_PROXIES         comma-separated CIDRs whose X-Forwarded-For
//	                                 is believed (the gateway's addresses)
//	OPENGATE_KEY_ROTATION            rotate signing keys this often (Go
//	                                 duration, e.g. 720h; default: on request only)
//	OPENGATE_LOGIN_THEMES_DIR        directory of login themes, one per
//	                                 subdirectory, chosen by a realm's loginTheme
//	                                 (default: the built-in theme only)
//	-instance / OPENGATE_INSTANCE    this replica's name in its cache consumer
//	                                 groups (default: the host name)
//
// It serves /healthz, /readyz (checks PostgreSQL and Redis) and /metrics,
// and shuts down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("auth-service", run) }
