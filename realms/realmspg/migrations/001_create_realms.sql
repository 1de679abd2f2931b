-- The realms table is keyed by the realm's name itself: it is the one table
-- of OpenGate that is not realm-scoped by a realm_name column (the
-- repository-wide query check lists it as global).
--
-- Durations are whole seconds (the service validates them so).
-- password_policy and smtp are JSON objects of the store's own shape; the
-- SMTP password is kept apart, sealed with AES-GCM under the deployment key.
CREATE TABLE realms (
	name                       text        PRIMARY KEY,
	display_name               text        NOT NULL DEFAULT '',
	enabled                    boolean     NOT NULL,
	access_token_lifespan_s    bigint      NOT NULL,
	sso_session_idle_timeout_s bigint      NOT NULL,
	sso_session_max_lifespan_s bigint      NOT NULL,
	access_code_lifespan_s     bigint      NOT NULL,
	password_policy            jsonb       NOT NULL DEFAULT '{}',
	brute_force_enabled        boolean     NOT NULL,
	failure_factor             integer     NOT NULL,
	wait_increment_s           bigint      NOT NULL,
	max_wait_s                 bigint      NOT NULL,
	reset_after_s              bigint      NOT NULL,
	mfa_policy                 text        NOT NULL,
	signing_algorithm          text        NOT NULL,
	smtp                       jsonb       NOT NULL DEFAULT '{}',
	smtp_password_sealed       bytea,
	cors_origins               text[]      NOT NULL DEFAULT '{}',
	registration_allowed       boolean     NOT NULL,
	duplicate_emails_allowed   boolean     NOT NULL,
	attributes                 jsonb       NOT NULL DEFAULT '{}',
	created_at                 timestamptz NOT NULL,
	updated_at                 timestamptz NOT NULL
);

---- create above / drop below ----

DROP TABLE realms;
