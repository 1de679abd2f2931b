-- name: EnsureFailures :exec
INSERT INTO login_failures (realm_name, user_id) VALUES (@realm_name, @user_id)
ON CONFLICT (realm_name, user_id) DO NOTHING;

-- name: LockFailures :one
SELECT * FROM login_failures WHERE realm_name = @realm_name AND user_id = @user_id FOR UPDATE;

-- name: UpdateFailures :exec
UPDATE login_failures SET window_start = @window_start, failures = @failures, alerted = @alerted
WHERE realm_name = @realm_name AND user_id = @user_id;

-- name: DeleteFailures :exec
DELETE FROM login_failures WHERE realm_name = @realm_name AND user_id = @user_id;

-- name: DeleteRealmFailures :exec
DELETE FROM login_failures WHERE realm_name = @realm_name;
