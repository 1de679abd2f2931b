-- OAuth clients. Realm-scoped: realm_name leads every key. client_id (the
-- public clientId) is unique per realm and compared and ordered bytewise
-- (COLLATE "C"), as Keycloak compares clientIds exactly.
--
-- The secret is never stored in plain text: secret_hash is its SHA-256 (for
-- authentication), sealed_secret the secret sealed with AES-GCM under the
-- deployment key (for the admin API). Public clients have neither.
CREATE TABLE clients (
	realm_name                   text               NOT NULL,
	id                           text               NOT NULL, -- UUID
	client_id                    text COLLATE "C"   NOT NULL,
	name                         text               NOT NULL DEFAULT '',
	description                  text               NOT NULL DEFAULT '',
	enabled                      boolean            NOT NULL,
	public_client                boolean            NOT NULL,
	bearer_only                  boolean            NOT NULL,
	standard_flow_enabled        boolean            NOT NULL,
	direct_access_grants_enabled boolean            NOT NULL,
	service_accounts_enabled     boolean            NOT NULL,
	redirect_uris                text[]             NOT NULL DEFAULT '{}',
	web_origins                  text[]             NOT NULL DEFAULT '{}',
	root_url                     text               NOT NULL DEFAULT '',
	base_url                     text               NOT NULL DEFAULT '',
	attributes                   jsonb              NOT NULL DEFAULT '{}',
	default_client_scopes        text[]             NOT NULL DEFAULT '{}',
	optional_client_scopes       text[]             NOT NULL DEFAULT '{}',
	secret_hash                  bytea,
	sealed_secret                bytea,
	created_at                   timestamptz        NOT NULL,
	updated_at                   timestamptz        NOT NULL,
	PRIMARY KEY (realm_name, id),
	CONSTRAINT clients_realm_client_id_key UNIQUE (realm_name, client_id)
);

---- create above / drop below ----

DROP TABLE clients;
