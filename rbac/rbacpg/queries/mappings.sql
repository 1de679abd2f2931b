-- name: ListMappings :many
SELECT v.* FROM rbac_role_view v
WHERE v.realm_name = @realm_name AND v.id IN (
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = @principal_type AND m.principal_id = @principal_id);

-- name: EffectiveRoles :many
-- The principal's mappings, those of its groups (member_id: a user's or
-- service account's; group_id: a group principal's own) and of the groups
-- above them (of a client's scope, principal_type 'client': the client's
-- own roles), and everything they contain, in one round trip. UNION (not
-- UNION ALL) visits each group and role once, so diamonds cost nothing.
WITH RECURSIVE grp(id) AS (
	SELECT gm.group_id FROM rbac_group_members gm
	WHERE gm.realm_name = @realm_name AND gm.user_id = @member_id::text
	UNION
	SELECT g.id FROM rbac_groups g
	WHERE g.realm_name = @realm_name AND g.id = @group_id::text
	UNION
	SELECT g.parent_id FROM rbac_groups g JOIN grp ON g.id = grp.id
	WHERE g.realm_name = @realm_name AND g.parent_id <> ''
), eff(id) AS (
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = @principal_type AND m.principal_id = @principal_id
	UNION
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = 'group' AND m.principal_id = ANY(ARRAY(SELECT grp.id FROM grp))
	UNION
	SELECT r.id FROM rbac_roles r
	WHERE r.realm_name = @realm_name AND @principal_type::text = 'client' AND r.client_uuid = @principal_id::text
	UNION
	SELECT k.child_id FROM rbac_composites k JOIN eff ON k.parent_id = eff.id
	WHERE k.realm_name = @realm_name
)
SELECT v.* FROM rbac_role_view v
WHERE v.realm_name = @realm_name AND v.id IN (SELECT eff.id FROM eff);

-- name: EffectiveRoleNames :many
-- EffectiveRoles reduced to what tokens carry, for token issuance.
WITH RECURSIVE grp(id) AS (
	SELECT gm.group_id FROM rbac_group_members gm
	WHERE gm.realm_name = @realm_name AND gm.user_id = @member_id::text
	UNION
	SELECT g.id FROM rbac_groups g
	WHERE g.realm_name = @realm_name AND g.id = @group_id::text
	UNION
	SELECT g.parent_id FROM rbac_groups g JOIN grp ON g.id = grp.id
	WHERE g.realm_name = @realm_name AND g.parent_id <> ''
), eff(id) AS (
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = @principal_type AND m.principal_id = @principal_id
	UNION
	SELECT m.role_id FROM rbac_mappings m
	WHERE m.realm_name = @realm_name AND m.principal_type = 'group' AND m.principal_id = ANY(ARRAY(SELECT grp.id FROM grp))
	UNION
	SELECT r.id FROM rbac_roles r
	WHERE r.realm_name = @realm_name AND @principal_type::text = 'client' AND r.client_uuid = @principal_id::text
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
	AND (@types::text[] IS NULL OR principal_type = ANY(@types::text[]))
ORDER BY principal_type COLLATE "C", principal_id COLLATE "C"
OFFSET @first_row
LIMIT sqlc.narg('max_rows');

-- name: DeletePrincipal :exec
DELETE FROM rbac_mappings
WHERE realm_name = @realm_name AND principal_type = @principal_type AND principal_id = @principal_id;

-- name: AddRealmRoleMappingByName :one
-- Maps the realm role named @name to a user or service account and writes
-- the events (iampg.OutboxRows) to the outbox, in one statement, if the
-- role exists; an existing mapping is kept and the events are written all
-- the same (as AddMappings). found is false, and nothing is written, if
-- no such role exists. pg_notify(@channel) wakes the relays at commit, as
-- iampg.Write.
WITH role AS (
	SELECT r.id FROM rbac_roles r WHERE r.realm_name = @realm_name AND r.client_uuid = '' AND r.name = @name
), mapped AS (
	INSERT INTO rbac_mappings (realm_name, principal_type, principal_id, role_id)
	SELECT @realm_name, @principal_type, @principal_id, role.id FROM role
	ON CONFLICT DO NOTHING
), written AS (
	INSERT INTO outbox (event_id, topic, realm_name, key, payload)
	-- Set-returning functions in one select list run in lockstep.
	SELECT unnest(@event_ids::uuid[]), unnest(@topics::text[]), unnest(@realms::text[]), unnest(@keys::text[]), unnest(@payloads::jsonb[])
	WHERE EXISTS (SELECT FROM role)
)
SELECT EXISTS (SELECT FROM role) AS found FROM (SELECT pg_notify(@channel::text, '')) AS notified;
