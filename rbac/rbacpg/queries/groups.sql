-- name: LockRealmGroups :exec
-- Serializes the changes of a realm's group tree (creations, renames,
-- moves, deletions, imports), so that stored paths never go stale.
SELECT pg_advisory_xact_lock(hashtextextended('opengate.rbac.groups/' || @realm_name::text, 0));

-- name: CreateGroup :exec
INSERT INTO rbac_groups (realm_name, id, parent_id, name, path, description, attributes, extra, created_at, updated_at)
VALUES (@realm_name, @id, @parent_id, @name, @path, @description, @attributes, @extra, @created_at, @updated_at);

-- name: GetGroup :one
SELECT * FROM rbac_group_view WHERE realm_name = @realm_name AND id = @id;

-- name: GetGroupByPath :one
SELECT * FROM rbac_group_view WHERE realm_name = @realm_name AND path = @path;

-- name: LockGroupKey :one
-- Keeps the group from being deleted until the transaction ends (role
-- mappings of groups have no foreign key).
SELECT id FROM rbac_groups WHERE realm_name = @realm_name AND id = @id FOR KEY SHARE;

-- name: ListGroups :many
SELECT v.* FROM rbac_group_view v
WHERE v.realm_name = @realm_name
	AND (NOT @by_parent::boolean OR v.parent_id = @parent_id::text)
	AND (@member::text = '' OR v.id IN (
		SELECT m.group_id FROM rbac_group_members m WHERE m.realm_name = @realm_name AND m.user_id = @member::text))
	AND (@subtree::text = '' OR v.path = @subtree::text OR starts_with(v.path, @subtree::text || '/'))
	AND (@search::text = ''
		OR (@exact::boolean AND v.name = @search::text)
		OR (NOT @exact::boolean AND strpos(lower(v.name), lower(@search::text)) > 0))
	AND v.attributes @> @attributes::jsonb
ORDER BY v.name COLLATE "C", v.path
OFFSET @first_row
LIMIT sqlc.narg('max_rows');

-- name: CountGroups :one
SELECT count(*) FROM rbac_groups g
WHERE g.realm_name = @realm_name
	AND (NOT @by_parent::boolean OR g.parent_id = @parent_id::text)
	AND (@member::text = '' OR g.id IN (
		SELECT m.group_id FROM rbac_group_members m WHERE m.realm_name = @realm_name AND m.user_id = @member::text))
	AND (@subtree::text = '' OR g.path = @subtree::text OR starts_with(g.path, @subtree::text || '/'))
	AND (@search::text = ''
		OR (@exact::boolean AND g.name = @search::text)
		OR (NOT @exact::boolean AND strpos(lower(g.name), lower(@search::text)) > 0))
	AND g.attributes @> @attributes::jsonb;

-- name: UpdateGroup :exec
UPDATE rbac_groups
SET name = @name, path = @path, description = @description, attributes = @attributes, extra = @extra,
	updated_at = @updated_at
WHERE realm_name = @realm_name AND id = @id;

-- name: MoveGroup :exec
UPDATE rbac_groups SET parent_id = @parent_id, path = @path
WHERE realm_name = @realm_name AND id = @id;

-- name: RenameSubgroups :exec
-- Rewrites the paths below old_path to start with new_path instead.
UPDATE rbac_groups SET path = @new_path::text || substr(path, length(@old_path::text) + 1)
WHERE realm_name = @realm_name AND starts_with(path, @old_path::text || '/');

-- name: ListSubtree :many
-- The group at path and its subgroups, by path (the group first).
SELECT * FROM rbac_group_view
WHERE realm_name = @realm_name AND (path = @path OR starts_with(path, @path::text || '/'))
ORDER BY path;

-- name: DeleteSubtree :exec
DELETE FROM rbac_groups
WHERE realm_name = @realm_name AND (path = @path OR starts_with(path, @path::text || '/'));

-- name: DeleteGroupMappings :exec
DELETE FROM rbac_mappings
WHERE realm_name = @realm_name AND principal_type = 'group' AND principal_id = ANY(@ids::text[]);

-- name: AddMembers :exec
INSERT INTO rbac_group_members (realm_name, group_id, user_id)
SELECT @realm_name, unnest(@group_ids::text[]), unnest(@user_ids::text[])
ON CONFLICT DO NOTHING;

-- name: RemoveMember :exec
DELETE FROM rbac_group_members
WHERE realm_name = @realm_name AND group_id = @group_id AND user_id = @user_id;

-- name: GroupMembers :many
SELECT user_id FROM rbac_group_members
WHERE realm_name = @realm_name AND group_id = @group_id
ORDER BY user_id COLLATE "C"
OFFSET @first_row
LIMIT sqlc.narg('max_rows');

-- name: DeleteMemberships :exec
DELETE FROM rbac_group_members WHERE realm_name = @realm_name AND user_id = @user_id;

-- name: DeleteRealmGroups :exec
DELETE FROM rbac_groups WHERE realm_name = @realm_name;
