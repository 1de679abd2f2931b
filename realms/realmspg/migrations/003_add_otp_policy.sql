-- The realm's one-time-password policy, on Keycloak's settings
-- (otpPolicyType, otpPolicyAlgorithm, otpPolicyDigits, otpPolicyPeriod,
-- otpPolicyLookAheadWindow). Existing realms get Keycloak's defaults.
ALTER TABLE realms
	ADD COLUMN otp_policy_type              text    NOT NULL DEFAULT 'totp',
	ADD COLUMN otp_policy_algorithm         text    NOT NULL DEFAULT 'HmacSHA1',
	ADD COLUMN otp_policy_digits            integer NOT NULL DEFAULT 6,
	ADD COLUMN otp_policy_period_s          bigint  NOT NULL DEFAULT 30,
	ADD COLUMN otp_policy_look_ahead_window integer NOT NULL DEFAULT 1;

---- create above / drop below ----

ALTER TABLE realms
	DROP COLUMN otp_policy_type,
	DROP COLUMN otp_policy_algorithm,
	DROP COLUMN otp_policy_digits,
	DROP COLUMN otp_policy_period_s,
	DROP COLUMN otp_policy_look_ahead_window;
