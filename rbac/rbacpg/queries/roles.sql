-- name: CreateRole :exec
INSERT INTO rbac_roles (realm_name, id, client_uuid, name, description, attributes, created_at, updated_at, extra)
VALUES (@realm_name, @id, @client_uuid, @name, @description, @attributes, @created_at, @updated_at, @extra);

-- name: GetRole :one
SELECT * FROM rbac_role_view WHERE realm_name = @realm_name AND id = @id;

-- LockRole locks the role's row until the transaction ends (UpdateRole reads
-- it through the view afterwards).
-- name: LockRole :exec
SELECT id FROM rbac_roles WHERE realm_name = @realm_name AND id = @id FOR UPDATE;

-- name: GetRoleByName :one
SELECT * FROM rbac_role_view
WHERE realm_name = @realm_name AND client_uuid = @client_uuid AND name = @name;

-- name: GetRoles :many
SELECT * FROM rbac_role_view WHERE realm_name = @realm_name AND id = ANY(@ids::text[]);

-- name: CountRoles :one
SELECT count(*) FROM rbac_roles WHERE realm_name = @realm_name AND id = ANY(@ids::text[]);

-- name: ListRoles :many
SELECT * FROM rbac_role_view
WHERE realm_name = @realm_name AND client_uuid = @client_uuid
	AND (@search::text = '' OR strpos(lower(name), lower(@search::text)) > 0)
ORDER BY name COLLATE "C", id
OFFSET @first_row
LIMIT sqlc.narg('max_rows');

-- name: UpdateRole :execrows
UPDATE rbac_roles
SET name = @name, description = @description, attributes = @attributes, extra = @extra, updated_at = @updated_at
WHERE realm_name = @realm_name AND id = @id;

-- name: DeleteRole :execrows
DELETE FROM rbac_roles WHERE realm_name = @realm_name AND id = @id;
