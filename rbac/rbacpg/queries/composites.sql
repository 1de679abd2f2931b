-- name: LockRealmComposites :exec
-- Serializes composite changes within a realm so that concurrent edges
-- cannot close a cycle together.
SELECT pg_advisory_xact_lock(hashtextextended('opengate.rbac.composites/' || @realm_name::text, 0));

-- name: ListComposites :many
SELECT v.* FROM rbac_role_view v
WHERE v.realm_name = @realm_name AND v.id IN (
	SELECT k.child_id FROM rbac_composites k WHERE k.realm_name = @realm_name AND k.parent_id = @parent_id);

-- name: ReachableEdges :many
-- Every composite edge below the given roles, for the cycle check.
WITH RECURSIVE reach(id) AS (
	SELECT unnest(@ids::text[])
	UNION
	SELECT k.child_id FROM rbac_composites k JOIN reach ON k.parent_id = reach.id
	WHERE k.realm_name = @realm_name
)
SELECT k.parent_id, k.child_id FROM rbac_composites k
WHERE k.realm_name = @realm_name AND k.parent_id IN (SELECT id FROM reach);

-- name: AddComposites :exec
INSERT INTO rbac_composites (realm_name, parent_id, child_id)
SELECT @realm_name, @parent_id, unnest(@child_ids::text[])
ON CONFLICT DO NOTHING;

-- name: RemoveComposites :exec
DELETE FROM rbac_composites
WHERE realm_name = @realm_name AND parent_id = @parent_id AND child_id = ANY(@child_ids::text[]);
