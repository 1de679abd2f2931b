-- Token-signing keys, one row per key of a realm. private_key is the PKCS#8
-- DER of the key sealed with AES-256-GCM under the deployment key
-- (OPENGATE_SECRET_KEY), bound to realm_name/kid: it never sits in the
-- database in plain text.
CREATE TABLE signing_keys (
	realm_name  text        NOT NULL,
	kid         text        NOT NULL,
	algorithm   text        NOT NULL CHECK (algorithm IN ('RS256', 'ES256', 'EdDSA')),
	private_key bytea       NOT NULL,
	created_at  timestamptz NOT NULL,
	retired_at  timestamptz,
	expires_at  timestamptz,
	PRIMARY KEY (realm_name, kid),
	CHECK ((retired_at IS NULL) = (expires_at IS NULL))
);

-- At most one active key per realm: replicas creating a realm's first key,
-- or rotating it, at the same time collide here and all but one re-read.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (realm_name) WHERE retired_at IS NULL;

---- create above / drop below ----

DROP TABLE signing_keys;
