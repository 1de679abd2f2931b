-- The fields of Keycloak's ClientRepresentation OpenGate does not
-- implement, stored verbatim (clients.Client.Extra): a JSON object of
-- field → value.
ALTER TABLE clients ADD COLUMN extra jsonb NOT NULL DEFAULT '{}';

---- create above / drop below ----

ALTER TABLE clients DROP COLUMN extra;
