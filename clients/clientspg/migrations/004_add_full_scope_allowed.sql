-- Keycloak's fullScopeAllowed, enforced since scope mappings exist
-- (clients.Client.FullScopeDisabled is its negation). Until then it was
-- stored verbatim in extra and not enforced: every client's tokens carried
-- every role of their subject. Existing clients keep that behaviour —
-- full scope allowed, whatever extra said — so that no token loses roles
-- on upgrade; the unenforced value leaves extra (an administrator who
-- wants it restricts the client and maps its scope).
ALTER TABLE clients ADD COLUMN full_scope_allowed boolean NOT NULL DEFAULT true;

UPDATE clients SET extra = extra - 'fullScopeAllowed' WHERE extra ? 'fullScopeAllowed';

---- create above / drop below ----

ALTER TABLE clients DROP COLUMN full_scope_allowed;
