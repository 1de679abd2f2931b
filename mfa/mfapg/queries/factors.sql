-- name: CreateFactor :exec
INSERT INTO factors (
	realm_name, id, user_id, type, label, created_at, confirmed_at,
	secret_sealed, algorithm, digits, period_s, code_hashes
) VALUES (
	@realm_name, @id, @user_id, @type, @label, @created_at, @confirmed_at,
	@secret_sealed, @algorithm, @digits, @period_s, @code_hashes
);

-- name: GetFactor :one
SELECT * FROM factors WHERE realm_name = @realm_name AND user_id = @user_id AND id = @id;

-- name: LockFactor :one
SELECT * FROM factors WHERE realm_name = @realm_name AND user_id = @user_id AND id = @id FOR UPDATE;

-- name: ListFactors :many
SELECT * FROM factors WHERE realm_name = @realm_name AND user_id = @user_id ORDER BY created_at, id;

-- name: UpdateFactor :execrows
UPDATE factors SET
	label = @label,
	created_at = @created_at,
	confirmed_at = @confirmed_at,
	secret_sealed = @secret_sealed,
	algorithm = @algorithm,
	digits = @digits,
	period_s = @period_s,
	code_hashes = @code_hashes
WHERE realm_name = @realm_name AND user_id = @user_id AND id = @id;

-- name: DeleteFactor :execrows
DELETE FROM factors WHERE realm_name = @realm_name AND user_id = @user_id AND id = @id;

-- name: DeleteUserFactors :execrows
DELETE FROM factors WHERE realm_name = @realm_name AND user_id = @user_id;

-- name: DeleteRealmFactors :execrows
DELETE FROM factors WHERE realm_name = @realm_name;
