-- The users service's tables. Every table is realm-scoped: realm_name leads
-- every key. Usernames and emails are stored lowercase (the service
-- normalises them; the CHECKs keep the store honest).

-- pg_trgm backs substring search (LIKE '%x%') with GIN indexes. It is a
-- trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE users (
	realm_name       text             NOT NULL,
	id               text             NOT NULL,
	username         text COLLATE "C" NOT NULL CHECK (username = lower(username)),
	email            text COLLATE "C" NOT NULL DEFAULT '' CHECK (email = lower(email)),
	-- email_key is the email when the realm requires unique emails at the
	-- time of the write, NULL otherwise; the unique constraint enforces it.
	email_key        text COLLATE "C",
	email_verified   boolean          NOT NULL DEFAULT false,
	first_name       text             NOT NULL DEFAULT '',
	last_name        text             NOT NULL DEFAULT '',
	enabled          boolean          NOT NULL DEFAULT false,
	attributes       jsonb            NOT NULL DEFAULT '{}',
	required_actions text[]           NOT NULL DEFAULT '{}',
	created_at       timestamptz      NOT NULL,
	updated_at       timestamptz      NOT NULL,
	PRIMARY KEY (realm_name, id),
	CONSTRAINT users_username_key UNIQUE (realm_name, username),
	CONSTRAINT users_email_key UNIQUE (realm_name, email_key)
);

CREATE INDEX users_email ON users (realm_name, email);

-- Search indexes. fastupdate is off so that searches never scan a long GIN
-- pending list between vacuums; users are written rarely, read often.
CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_first_name_trgm ON users USING gin (lower(first_name) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_last_name_trgm ON users USING gin (lower(last_name) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_attributes ON users USING gin (attributes jsonb_path_ops) WITH (fastupdate = off);

-- At most one credential per type and user; secret is the encoded hash.
CREATE TABLE user_credentials (
	realm_name text        NOT NULL,
	user_id    text        NOT NULL,
	type       text        NOT NULL,
	id         text        NOT NULL,
	user_label text        NOT NULL DEFAULT '',
	secret     text        NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (realm_name, user_id, type),
	FOREIGN KEY (realm_name, user_id) REFERENCES users (realm_name, id) ON DELETE CASCADE
);

-- Earlier password hashes, for the password-history policy.
CREATE TABLE user_password_history (
	realm_name text        NOT NULL,
	user_id    text        NOT NULL,
	seq        bigint      GENERATED ALWAYS AS IDENTITY,
	secret     text        NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (realm_name, user_id, seq),
	FOREIGN KEY (realm_name, user_id) REFERENCES users (realm_name, id) ON DELETE CASCADE
);

-- Single-use action tokens, by SHA-256 only.
CREATE TABLE user_action_tokens (
	realm_name text        NOT NULL,
	token_hash text        NOT NULL,
	user_id    text        NOT NULL,
	action     text        NOT NULL,
	email      text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (realm_name, token_hash),
	FOREIGN KEY (realm_name, user_id) REFERENCES users (realm_name, id) ON DELETE CASCADE
);

CREATE INDEX user_action_tokens_user ON user_action_tokens (realm_name, user_id);
