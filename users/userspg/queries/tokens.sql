-- name: DeleteStaleTokens :exec
DELETE FROM user_action_tokens
WHERE realm_name = @realm_name AND user_id = @user_id AND (action = @action OR expires_at < @now);

-- name: CreateToken :exec
INSERT INTO user_action_tokens (realm_name, token_hash, user_id, action, email, created_at, expires_at)
VALUES (@realm_name, @token_hash, @user_id, @action, @email, @created_at, @expires_at);

-- name: GetToken :one
SELECT * FROM user_action_tokens WHERE realm_name = @realm_name AND token_hash = @token_hash;

-- name: ConsumeToken :one
DELETE FROM user_action_tokens WHERE realm_name = @realm_name AND token_hash = @token_hash
RETURNING *;
