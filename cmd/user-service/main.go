// Command user-service is OpenGate's users service as a microservice: the
// Keycloak-compatible users admin API, the public login actions (email
// verification, forgotten password), the self-service account API and the
// internal API for auth, on PostgreSQL; its events relayed from the outbox
// to Kafka; its consumer (realm.deleted) on Kafka.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR               listen address (default :8082)
//	OPENGATE_POSTGRES_URL               PostgreSQL server URL (required); the database
//	                                    {OPENGATE_DATABASE_PREFIX}users (default prefix
//	                                    opengate_) is created if missing and migrated
//	-migrate-only                       migrate and exit
//	OPENGATE_ISSUER_BASE                public base URL of the token issuer
//	                                    (required): admin and account calls
//	                                    need a token, verified against
//	                                    {base}/realms/{realm}/protocol/openid-connect/certs;
//	                                    also the base of emailed links
//	OPENGATE_PUBLIC_URL                 base of emailed links, if not the issuer base
//	OPENGATE_SECRET_KEY                 deployment key, 32 bytes as base64 or hex
//	                                    (required): its action-link subkey seals
//	                                    the links of verification and reset
//	                                    events, which notification-service opens
//	OPENGATE_SECRET_KEY_PREVIOUS        during a key rotation, the old key
//	OPENGATE_SERVICE_TOKEN              shared secret of the internal APIs (this
//	                                    service's /internal/..., for auth, and the
//	                                    realm service's, for realm settings)
//	OPENGATE_REALMS_URL                 realm-service (default http://localhost:8083)
//	OPENGATE_KAFKA_BROKERS              comma-separated seed brokers (required unless
//	                                    -migrate-only: events cross processes only
//	                                    through Kafka)
//	-instance / OPENGATE_INSTANCE       this replica's name in its realm-cache
//	                                    consumer group (default: host name)
//	OPENGATE_ADMIN_USER                 bootstrap administrator of the master
//	OPENGATE_ADMIN_PASSWORD             realm: created once if the password is
//	                                    set (default user "admin"); the admin
//	                                    role is granted through rbac
//
// It serves /healthz, /readyz (checks PostgreSQL) and /metrics, and shuts
// down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("user-service", run) }
