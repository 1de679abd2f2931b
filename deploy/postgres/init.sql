-- The seven service databases of OpenGate's microservices (and of the
-- all-in-one), {OPENGATE_DATABASE_PREFIX}{service} with the default prefix
-- opengate_. Each binary would create its own database if it were missing
-- (OPENGATE_POSTGRES_URL's user then needs CREATEDB); creating them here lets
-- that user do without. Run once, by the postgres image's entrypoint, on an
-- empty data directory; each binary migrates its own database at start.
CREATE DATABASE opengate_realms;
CREATE DATABASE opengate_clients;
CREATE DATABASE opengate_users;
CREATE DATABASE opengate_rbac;
CREATE DATABASE opengate_auth;
CREATE DATABASE opengate_mfa;
CREATE DATABASE opengate_notifications;
