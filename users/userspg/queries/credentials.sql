-- name: GetCredential :one
SELECT * FROM user_credentials WHERE realm_name = @realm_name AND user_id = @user_id AND type = @type;

-- name: GetCredentialForUpdate :one
SELECT * FROM user_credentials WHERE realm_name = @realm_name AND user_id = @user_id AND type = @type FOR UPDATE;

-- name: PutCredential :exec
INSERT INTO user_credentials (realm_name, user_id, type, id, user_label, secret, created_at)
VALUES (@realm_name, @user_id, @type, @id, @user_label, @secret, @created_at)
ON CONFLICT (realm_name, user_id, type) DO UPDATE
SET id = EXCLUDED.id, user_label = EXCLUDED.user_label, secret = EXCLUDED.secret, created_at = EXCLUDED.created_at;

-- name: ReplaceSecret :execrows
UPDATE user_credentials SET secret = @new_secret
WHERE realm_name = @realm_name AND user_id = @user_id AND type = @type AND secret = @old_secret;

-- name: DeleteCredential :execrows
DELETE FROM user_credentials WHERE realm_name = @realm_name AND user_id = @user_id AND id = @id;

-- name: DeleteCredentialsOfUser :exec
DELETE FROM user_credentials WHERE realm_name = @realm_name AND user_id = @user_id;

-- name: AddHistory :exec
INSERT INTO user_password_history (realm_name, user_id, secret, created_at)
VALUES (@realm_name, @user_id, @secret, @created_at);

-- name: ListHistory :many
SELECT secret FROM user_password_history
WHERE realm_name = @realm_name AND user_id = @user_id
ORDER BY seq DESC LIMIT @max_rows;

-- name: TrimHistory :exec
DELETE FROM user_password_history AS d
WHERE d.realm_name = @realm_name AND d.user_id = @user_id AND d.seq < COALESCE((
	SELECT min(k.seq) FROM (
		SELECT h.seq FROM user_password_history h
		WHERE h.realm_name = @realm_name AND h.user_id = @user_id
		ORDER BY h.seq DESC LIMIT @keep
	) k
), 9223372036854775807);
