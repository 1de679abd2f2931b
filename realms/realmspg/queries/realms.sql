-- name: CreateRealm :exec
INSERT INTO realms (
	name, id, display_name, enabled,
	access_token_lifespan_s, sso_session_idle_timeout_s, sso_session_max_lifespan_s, access_code_lifespan_s,
	password_policy, brute_force_enabled, failure_factor, wait_increment_s, max_wait_s, reset_after_s,
	mfa_policy, signing_algorithm, smtp, smtp_password_sealed, cors_origins,
	registration_allowed, duplicate_emails_allowed, attributes, created_at, updated_at,
	otp_policy_type, otp_policy_algorithm, otp_policy_digits, otp_policy_period_s, otp_policy_look_ahead_window,
	login_theme, extra
) VALUES (
	@name, @id, @display_name, @enabled,
	@access_token_lifespan_s, @sso_session_idle_timeout_s, @sso_session_max_lifespan_s, @access_code_lifespan_s,
	@password_policy, @brute_force_enabled, @failure_factor, @wait_increment_s, @max_wait_s, @reset_after_s,
	@mfa_policy, @signing_algorithm, @smtp, @smtp_password_sealed, @cors_origins,
	@registration_allowed, @duplicate_emails_allowed, @attributes, @created_at, @updated_at,
	@otp_policy_type, @otp_policy_algorithm, @otp_policy_digits, @otp_policy_period_s, @otp_policy_look_ahead_window,
	@login_theme, @extra
);

-- name: GetRealm :one
SELECT * FROM realms WHERE name = @name;

-- name: LockRealm :one
SELECT * FROM realms WHERE name = @name FOR UPDATE;

-- name: ListRealms :many
SELECT * FROM realms ORDER BY name COLLATE "C";

-- name: UpdateRealm :execrows
UPDATE realms SET
	display_name = @display_name,
	enabled = @enabled,
	access_token_lifespan_s = @access_token_lifespan_s,
	sso_session_idle_timeout_s = @sso_session_idle_timeout_s,
	sso_session_max_lifespan_s = @sso_session_max_lifespan_s,
	access_code_lifespan_s = @access_code_lifespan_s,
	password_policy = @password_policy,
	brute_force_enabled = @brute_force_enabled,
	failure_factor = @failure_factor,
	wait_increment_s = @wait_increment_s,
	max_wait_s = @max_wait_s,
	reset_after_s = @reset_after_s,
	mfa_policy = @mfa_policy,
	signing_algorithm = @signing_algorithm,
	smtp = @smtp,
	smtp_password_sealed = @smtp_password_sealed,
	cors_origins = @cors_origins,
	registration_allowed = @registration_allowed,
	duplicate_emails_allowed = @duplicate_emails_allowed,
	attributes = @attributes,
	otp_policy_type = @otp_policy_type,
	otp_policy_algorithm = @otp_policy_algorithm,
	otp_policy_digits = @otp_policy_digits,
	otp_policy_period_s = @otp_policy_period_s,
	otp_policy_look_ahead_window = @otp_policy_look_ahead_window,
	login_theme = @login_theme,
	extra = @extra,
	updated_at = @updated_at
WHERE name = @name;

-- name: DeleteRealm :execrows
DELETE FROM realms WHERE name = @name;
