// Command mfa-service is OpenGate's MFA service as a microservice: the
// self-service account API (/realms/{realm}/account/mfa: enrol and confirm
// an authenticator app, recovery codes, remove a factor), the admin API (a
// user's factors and second-factor lockout) and the internal API the auth
// service (second factors of the password grant) and the user service
// (Keycloak's credential view) call; factors on PostgreSQL (TOTP secrets
// sealed under the deployment key), verification state (used codes, email
// codes, lockouts) in Redis; mfa.otp_sent relayed from the outbox to Kafka;
// its consumer (user.deleted and realm.deleted remove factors).
//
// Configuration (flags override environment):
//
//	-addr / OPENGATE_ADDR          listen address (default :8088)
//	OPENGATE_POSTGRES_URL          PostgreSQL server URL (required); the database
//	                               {OPENGATE_DATABASE_PREFIX}mfa (default prefix
//	                               opengate_) is created if missing and migrated
//	-migrate-only                  migrate and exit
//	OPENGATE_SECRET_KEY            deployment key, 32 bytes as base64 or hex
//	                               (required: TOTP secrets are sealed with it)
//	OPENGATE_ISSUER_BASE           public base URL of the token issuer
//	                               (required): account and admin calls need
//	                               its tokens
//	OPENGATE_REDIS_URL             Redis (required): verification state, and
//	                               auth's revocation list
//	OPENGATE_SERVICE_TOKEN         shared secret of the internal APIs
//	OPENGATE_REALMS_URL, OPENGATE_USERS_URL
//	                               the realm service (policies) and the user
//	                               service (CONFIGURE_TOTP completed)
//	OPENGATE_NOTIFY_URL            notification-service, which mails email codes
//	OPENGATE_KAFKA_BROKERS         comma-separated seed brokers (required unless
//	                               -migrate-only: events cross processes only
//	                               through Kafka)
//	OPENGATE_MFA_LOG_CODES         development only: log email codes in clear
//	                               instead of mailing them
//
// Email codes are mailed by notification-service through its internal API
// (notifyhttp.Client). It serves /healthz, /readyz and /metrics, and shuts
// down gracefully on SIGINT/SIGTERM.
package main

import "github.com/opengate-iam/opengate/cmd/internal/boot"

func main() { boot.Main("mfa-service", run) }
