// Command notification-service is OpenGate's notify service as a
// microservice: it consumes user.created, user.verify_email_requested,
// user.password_reset_requested, auth.login.failure, user.deleted and
// realm.deleted from Kafka, mails through each realm's smtpServer (else the
// default server below), keeps its delivery log on PostgreSQL and retries
// failed mail; it serves the notifications admin API (delivery log, retry,
// testSMTPConnection, template overrides) and the internal endpoint through
// which the mfa service sends e-mail codes.
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR            listen address (default :8086)
//	OPENGATE_POSTGRES_URL            PostgreSQL server URL (required); the database
//	                                 {OPENGATE_DATABASE_PREFIX}notifications (default prefix
//	                                 opengate_) is created if missing and migrated
//	-migrate-only                    migrate and exit
//	OPENGATE_SECRET_KEY              deployment key, 32 bytes as base64 or hex
//	                                 (required): its action-link subkey opens
//	                                 the links of verification and reset events
//	OPENGATE_SECRET_KEY_PREVIOUS     during a key rotation, the old key
//	OPENGATE_ISSUER_BASE             public base URL of the token issuer
//	                                 (required): admin calls need a token
//	OPENGATE_PUBLIC_URL              base of the links it adds itself (the
//	                                 account page, the reset page), if not the
//	                                 issuer base
//	OPENGATE_SERVICE_TOKEN           shared secret of the internal APIs (its
//	                                 own, for mfa-service; users' and realms')
//	OPENGATE_USERS_URL, OPENGATE_REALMS_URL, ...   the peers (shared settings)
//	OPENGATE_REDIS_URL               auth's Redis (revoked tokens; required)
//	OPENGATE_KAFKA_BROKERS           comma-separated seed brokers (required unless
//	                                 -migrate-only: events cross processes only
//	                                 through Kafka)
//	-instance / OPENGATE_INSTANCE    this replica's name in its cache groups
//	                                 and on the deliveries it claims: restarted
//	                                 under it, it sends at once what it had
//	                                 claimed when it died
//	OPENGATE_SMTP_HOST, _PORT, _FROM, _FROM_NAME, _REPLY_TO, _USER,
//	_PASSWORD, _SECURITY             the default mail server of realms
//	                                 without smtpServer (none: their mail fails)
//	OPENGATE_NOTIFY_MAX_ATTEMPTS     attempts before a mail fails (default 8)
//
// It serves /healthz, /readyz (PostgreSQL, the deployment key, Redis) and
// /metrics, and shuts down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("notification-service", run) }
