-- Second factors of users: authenticator apps (TOTP) and sets of recovery
-- codes. Realm-scoped: realm_name leads every key; user_id is the users
-- service's id (no foreign key: users live in another database, and
-- user.deleted removes a user's factors).
--
-- The TOTP secret is never stored in plain text: secret_sealed is sealed
-- with AES-GCM under the deployment key, bound to realm, user and factor.
-- Recovery codes are kept as the SHA-256 of each unused code. A pending
-- enrolment has no confirmed_at.
CREATE TABLE factors (
	realm_name    text        NOT NULL,
	id            text        NOT NULL, -- UUID
	user_id       text        NOT NULL,
	type          text        NOT NULL, -- totp, recovery-codes
	label         text        NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	confirmed_at  timestamptz,
	secret_sealed bytea,
	algorithm     text        NOT NULL DEFAULT '',
	digits        integer     NOT NULL DEFAULT 0,
	period_s      bigint      NOT NULL DEFAULT 0,
	code_hashes   bytea[]     NOT NULL DEFAULT '{}',
	PRIMARY KEY (realm_name, id)
);

CREATE INDEX factors_user_idx ON factors (realm_name, user_id, created_at, id);

-- At most one set of recovery codes per user.
CREATE UNIQUE INDEX factors_one_recovery_set_key ON factors (realm_name, user_id) WHERE type = 'recovery-codes';

---- create above / drop below ----

DROP TABLE factors;
