// Command rbac-service is OpenGate's role service as a microservice: the
// rbac admin API (roles, composites, role mappings) on PostgreSQL, its events
// relayed from the outbox to Kafka, and its consumers (realm.*, user.*,
// client.*) on Kafka.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR               listen address (default :8084)
//	OPENGATE_POSTGRES_URL               PostgreSQL server URL (required); the database
//	                                    {OPENGATE_DATABASE_PREFIX}rbac (default prefix
//	                                    opengate_) is created if missing and migrated
//	-migrate-only                       migrate and exit
//	OPENGATE_ISSUER_BASE                public base URL of the token issuer
//	                                    (required): admin calls need a token
//	                                    of an administrator, verified against
//	                                    {base}/realms/{realm}/protocol/openid-connect/certs
//	OPENGATE_SERVICE_TOKEN              shared secret of the internal API
//	                                    (/internal/..., for auth); without it
//	                                    internal calls are refused
//	OPENGATE_KAFKA_BROKERS              comma-separated seed brokers (required unless
//	                                    -migrate-only: events cross processes only
//	                                    through Kafka)
//	-instance / OPENGATE_INSTANCE       this replica's name in its role-cache
//	                                    consumer group (default: the host name)
//	OPENGATE_ADMIN_USER                 (default admin) the bootstrap administrator user-service
//	                                    creates in master: its user.created
//	                                    event grants it the admin role
//
// It serves /healthz, /readyz (checks PostgreSQL) and /metrics, and shuts
// down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("rbac-service", run) }
