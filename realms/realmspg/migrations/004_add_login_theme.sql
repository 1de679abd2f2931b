-- The realm's login theme (Keycloak's loginTheme): the directory of the
-- deployment's themes its login and account pages use; '' is the default.
ALTER TABLE realms ADD COLUMN login_theme text NOT NULL DEFAULT '';

---- create above / drop below ----

ALTER TABLE realms DROP COLUMN login_theme;
