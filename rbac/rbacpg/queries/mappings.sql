-- name: ListMappings :many
SELECT v.* FROM rbac_role_view v
WHERE v.realm_name = @realm_name AND v.id IN (
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = @principal_type AND m.principal_id = @principal_id);

-- name: EffectiveRoles :many
-- The principal's mappings and everything they contain, in one round trip.
-- UNION (not UNION ALL) visits each role once, so diamonds cost nothing.
WITH RECURSIVE eff(id) AS (
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = @principal_type AND m.principal_id = @principal_id
	UNION
	SELECT k.child_id FROM rbac_composites k JOIN eff ON k.parent_id = eff.id
	WHERE k.realm_name = @realm_name
)
SELECT v.* FROM rbac_role_view v
WHERE v.realm_name = @realm_name AND v.id IN (SELECT eff.id FROM eff);

-- name: EffectiveRoleNames :many
-- EffectiveRoles reduced to what tokens carry, for token issuance.
WITH RECURSIVE eff(id) AS (
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = @principal_type AND m.principal_id = @principal_id
	UNION
	SELECT k.child_id FROM rbac_composites k JOIN eff ON k.parent_id = eff.id
	WHERE k.realm_name = @realm_name
)
SELECT r.name, r.client_uuid, COALESCE(c.client_id, '')::text AS client_id
FROM eff
JOIN rbac_roles r ON r.realm_name = @realm_name AND r.id = eff.id
LEFT JOIN rbac_clients c ON c.realm_name = @realm_name AND c.id = r.client_uuid;

-- name: AddMappings :exec
INSERT INTO rbac_mappings (realm_name, principal_type, principal_id, role_id)
SELECT @realm_name, @principal_type, @principal_id, unnest(@role_ids::text[])
ON CONFLICT DO NOTHING;

-- name: RemoveMappings :exec
DELETE FROM rbac_mappings
WHERE realm_name = @realm_name AND principal_type = @principal_type AND principal_id = @principal_id
	AND role_id = ANY(@role_ids::text[]);

-- name: RolePrincipals :many
SELECT principal_type, principal_id FROM rbac_mappings
WHERE realm_name = @realm_name AND role_id = @role_id
ORDER BY principal_type COLLATE "C", principal_id COLLATE "C"
OFFSET @first_row
LIMIT sqlc.narg('max_rows');

-- name: DeletePrincipal :exec
DELETE FROM rbac_mappings
WHERE realm_name = @realm_name AND principal_type = @principal_type AND principal_id = @principal_id;
