-- name: PutClient :exec
INSERT INTO rbac_clients (realm_name, id, client_id)
VALUES (@realm_name, @id, @client_id)
ON CONFLICT (realm_name, id) DO UPDATE SET client_id = EXCLUDED.client_id
WHERE rbac_clients.realm_name = EXCLUDED.realm_name;

-- name: GetClient :one
SELECT realm_name, id, client_id FROM rbac_clients
WHERE realm_name = @realm_name AND id = @id;

-- name: LockClient :one
SELECT id FROM rbac_clients
WHERE realm_name = @realm_name AND id = @id
FOR KEY SHARE;

-- name: FindClient :one
SELECT realm_name, id, client_id FROM rbac_clients
WHERE realm_name = @realm_name AND client_id = @client_id
ORDER BY id
LIMIT 1;

-- name: DeleteClient :exec
DELETE FROM rbac_clients WHERE realm_name = @realm_name AND id = @id;

-- name: DeleteClientRoles :exec
DELETE FROM rbac_roles WHERE realm_name = @realm_name AND client_uuid = @client_uuid;

-- name: DeleteRealmRoles :exec
DELETE FROM rbac_roles WHERE realm_name = @realm_name;

-- name: DeleteRealmMappings :exec
DELETE FROM rbac_mappings WHERE realm_name = @realm_name;

-- name: DeleteRealmClients :exec
DELETE FROM rbac_clients WHERE realm_name = @realm_name;
