-- name: ListKeys :many
SELECT realm_name, kid, algorithm, private_key, created_at, retired_at, expires_at
FROM signing_keys
WHERE realm_name = $1
ORDER BY created_at DESC, kid;

-- name: RetireActiveKey :execrows
UPDATE signing_keys
SET retired_at = sqlc.arg(retired_at), expires_at = sqlc.arg(expires_at)
WHERE realm_name = sqlc.arg(realm_name) AND kid = sqlc.arg(kid) AND retired_at IS NULL;

-- name: InsertKey :exec
INSERT INTO signing_keys (realm_name, kid, algorithm, private_key, created_at)
VALUES ($1, $2, $3, $4, $5);

-- name: DeleteExpiredKeys :execrows
DELETE FROM signing_keys
WHERE realm_name = $1 AND retired_at IS NOT NULL AND expires_at < $2;

-- name: DeleteRealmKeys :exec
DELETE FROM signing_keys
WHERE realm_name = $1;
