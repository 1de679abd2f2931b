-- The search indexes serve one realm's search (issue 17). The trigram and
-- attribute GIN indexes of 001 covered every realm: a search collected the
-- matching users of all realms, read each from the table and only then
-- kept its realm's, so a realm's search slowed with the other realms'
-- users (a prefix matching 10 % of a 100,000-user realm read every
-- matching row of a 1,000,000-user realm beside it). With btree_gin the
-- realm is the first column of each GIN index: the index scan intersects
-- the realm's entries with the trigrams' and hands the table only the
-- realm's matches.
--
-- btree_gin is a trusted extension (PostgreSQL 13 and later): the database
-- owner may create it, as pg_trgm. Building the indexes locks the users
-- table against writes while it runs (about 1.5 min for 1.1 million users
-- on a 2-core machine); reads go on.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE INDEX users_realm_username_trgm ON users USING gin (realm_name, username gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_realm_email_trgm ON users USING gin (realm_name, email gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_realm_first_name_trgm ON users USING gin (realm_name, lower(first_name) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_realm_last_name_trgm ON users USING gin (realm_name, lower(last_name) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_realm_attributes ON users USING gin (realm_name, attributes jsonb_path_ops) WITH (fastupdate = off);

DROP INDEX users_username_trgm, users_email_trgm, users_first_name_trgm, users_last_name_trgm, users_attributes;

---- create above / drop below ----

CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_first_name_trgm ON users USING gin (lower(first_name) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_last_name_trgm ON users USING gin (lower(last_name) gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX users_attributes ON users USING gin (attributes jsonb_path_ops) WITH (fastupdate = off);

DROP INDEX users_realm_username_trgm, users_realm_email_trgm, users_realm_first_name_trgm, users_realm_last_name_trgm,
	users_realm_attributes;
