-- The fields of Keycloak's RoleRepresentation OpenGate does not implement,
-- stored verbatim (rbac.Role.Extra): a JSON object of field → value. The
-- view returns them with the role.
ALTER TABLE rbac_roles ADD COLUMN extra jsonb NOT NULL DEFAULT '{}';

DROP VIEW rbac_role_view;
CREATE VIEW rbac_role_view AS
SELECT r.realm_name, r.id, r.client_uuid, r.name, r.description, r.attributes,
	r.created_at, r.updated_at,
	COALESCE(c.client_id, '')::text AS client_id,
	EXISTS (SELECT 1 FROM rbac_composites k
		WHERE k.realm_name = r.realm_name AND k.parent_id = r.id)::boolean AS composite,
	r.extra
FROM rbac_roles r
LEFT JOIN rbac_clients c ON c.realm_name = r.realm_name AND c.id = r.client_uuid;

---- create above / drop below ----

DROP VIEW rbac_role_view;
CREATE VIEW rbac_role_view AS
SELECT r.realm_name, r.id, r.client_uuid, r.name, r.description, r.attributes,
	r.created_at, r.updated_at,
	COALESCE(c.client_id, '')::text AS client_id,
	EXISTS (SELECT 1 FROM rbac_composites k
		WHERE k.realm_name = r.realm_name AND k.parent_id = r.id)::boolean AS composite
FROM rbac_roles r
LEFT JOIN rbac_clients c ON c.realm_name = r.realm_name AND c.id = r.client_uuid;
ALTER TABLE rbac_roles DROP COLUMN extra;
