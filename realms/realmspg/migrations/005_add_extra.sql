-- The fields of Keycloak's RealmRepresentation OpenGate does not implement,
-- stored verbatim (realms.Realm.Extra): a JSON object of field → value.
ALTER TABLE realms ADD COLUMN extra jsonb NOT NULL DEFAULT '{}';

---- create above / drop below ----

ALTER TABLE realms DROP COLUMN extra;
