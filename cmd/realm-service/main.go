// Command realm-service is OpenGate's realms service as a microservice: the
// realms admin API (/admin/realms) and the internal read API other services
// use, on PostgreSQL; its events (realm.created/updated/deleted) relayed from
// the outbox to Kafka; and the invalidation of its realm cache by the events
// of other replicas. The master realm is created on first start.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR          listen address (default :8083)
//	OPENGATE_POSTGRES_URL          PostgreSQL server URL (required); the database
//	                               {OPENGATE_DATABASE_PREFIX}realms (default prefix
//	                               opengate_) is created if missing and migrated
//	-migrate-only                  migrate and exit
//	OPENGATE_ISSUER_BASE           public base URL of the token issuer
//	                               (required): admin calls need a token of an
//	                               administrator, verified against
//	                               {base}/realms/{realm}/protocol/openid-connect/certs
//	OPENGATE_SERVICE_TOKEN         shared secret of the internal API
//	                               (/internal/realms/{realm}); without it
//	                               internal calls are refused
//	OPENGATE_USERS_URL             user-service (default http://localhost:8082),
//	OPENGATE_CLIENTS_URL           client-service (default http://localhost:8085) and
//	OPENGATE_RBAC_URL              rbac-service (default http://localhost:8084): a
//	                               realm import, partialImport and partial-export
//	                               go through their internal import routes
//	OPENGATE_SECRET_KEY            deployment key (32 bytes, base64 or hex;
//	                               required): seals realms' SMTP passwords
//	OPENGATE_KAFKA_BROKERS         comma-separated seed brokers (required unless
//	                               -migrate-only: events cross processes only
//	                               through Kafka)
//	-instance / OPENGATE_INSTANCE  this replica's name in its cache consumer
//	                               group (default: the host name)
//
// It serves /healthz, /readyz (checks PostgreSQL) and /metrics, and shuts
// down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("realm-service", run) }
