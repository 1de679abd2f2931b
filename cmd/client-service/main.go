// Command client-service is OpenGate's clients service as a microservice:
// the clients admin API (/admin/realms/{realm}/clients, client secrets) and
// the internal API the auth service uses (read, authenticate), on
// PostgreSQL; its events (client.created/updated/deleted) relayed from the
// outbox to Kafka; its consumer (realm.created creates admin-cli,
// realm.deleted deletes the realm's clients); and the invalidation of its
// client cache by the events of other replicas. The master realm's admin-cli
// is ensured on start.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR          listen address (default :8085)
//	OPENGATE_POSTGRES_URL          PostgreSQL server URL (required); the database
//	                               {OPENGATE_DATABASE_PREFIX}clients (default prefix
//	                               opengate_) is created if missing and migrated
//	-migrate-only                  migrate and exit
//	OPENGATE_SECRET_KEY            deployment key, 32 bytes as base64 or hex
//	                               (required: client secrets are sealed with
//	                               it; generate one with openssl rand -base64 32)
//	OPENGATE_ISSUER_BASE           public base URL of the token issuer
//	                               (required): admin calls need a token of an
//	                               administrator, verified against
//	                               {base}/realms/{realm}/protocol/openid-connect/certs
//	OPENGATE_SERVICE_TOKEN         shared secret of the internal API
//	                               (/internal/realms/{realm}/clients...);
//	                               without it internal calls are refused
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

func main() { boot.Main("client-service", run) }
