-- Every realm gets an immutable id, distinct from its name: a realm deleted
-- and created again under the same name gets another one, and tokens carry
-- it (realm_id) so that those of the deleted realm are refused. Existing
-- realms get a random id here; their tokens minted before have no realm_id
-- and are refused from now on (users sign in again).
ALTER TABLE realms ADD COLUMN id text NOT NULL DEFAULT gen_random_uuid()::text;
ALTER TABLE realms ALTER COLUMN id DROP DEFAULT;
ALTER TABLE realms ADD CONSTRAINT realms_id_key UNIQUE (id);

---- create above / drop below ----

ALTER TABLE realms DROP COLUMN id;
