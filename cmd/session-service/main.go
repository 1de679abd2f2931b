// Command session-service is OpenGate's session service as a microservice:
// login sessions in Redis (created from auth.login.success, ended by
// auth.logout, user.deleted, user.credentials_changed and realm.deleted,
// expiring by the realms' ssoSessionIdleTimeout and ssoSessionMaxLifespan),
// Keycloak's session admin API (/admin/realms/{realm}/users/{id}/sessions,
// /sessions/{sid}, /users/{id}/logout, /logout-all,
// /clients/{id}/user-sessions, /client-session-stats), the account's
// sessions (/realms/{realm}/account/sessions) and the internal API auth
// asks whether a session is alive. Every termination publishes one
// session.terminated to Kafka; one that Kafka refused is published again
// later by its relay. It has no database.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR            listen address (default :8087)
//	-management-addr / OPENGATE_MANAGEMENT_ADDR
//	                                 serve /metrics (with /healthz, /readyz) there
//	                                 instead of on -addr
//	OPENGATE_REDIS_URL               Redis (required): the sessions, and auth's
//	                                 revocation list the token verifier reads
//	OPENGATE_REDIS_PREFIX            key prefix (default "opengate:"); sessions
//	                                 are under {prefix}session:
//	OPENGATE_ISSUER_BASE             public base URL of the token issuer
//	                                 (required): admin and account calls need its
//	                                 tokens
//	OPENGATE_SERVICE_TOKEN           shared secret of the internal API and of
//	                                 the calls to the other services
//	OPENGATE_REALMS_URL              realm-service (default http://localhost:8083):
//	                                 the realms' session lifespans
//	OPENGATE_USERS_URL, OPENGATE_RBAC_URL, OPENGATE_CLIENTS_URL
//	                                 the peers the admin guard reads callers from
//	OPENGATE_KAFKA_BROKERS           comma-separated seed brokers (required unless
//	                                 -migrate-only: events cross processes only
//	                                 through Kafka)
//	-instance / OPENGATE_INSTANCE    this replica's name in its cache consumer
//	                                 groups (default: the host name)
//
// It serves /healthz, /readyz (checks Redis) and /metrics, and shuts down
// gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("session-service", run) }
