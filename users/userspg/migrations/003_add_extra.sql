-- The fields of Keycloak's UserRepresentation OpenGate does not implement,
-- stored verbatim (users.User.Extra): a JSON object of field → value.
ALTER TABLE users ADD COLUMN extra jsonb NOT NULL DEFAULT '{}';

---- create above / drop below ----

ALTER TABLE users DROP COLUMN extra;
