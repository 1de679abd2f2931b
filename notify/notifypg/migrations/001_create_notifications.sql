-- The notify service's delivery log. Realm-scoped: realm_name leads every
-- key. One delivery per (event, kind), so a redelivered event never sends
-- twice. No secret is stored in clear: sealed_link is the action link as
-- its event carried it (sealed under the deployment key's link subkey,
-- bound to event_id), dropped once the mail is sent; an e-mail OTP's code
-- is never stored. data holds the template's other inputs.
CREATE TABLE deliveries (
	realm_name      text        NOT NULL,
	id              text        NOT NULL, -- UUIDv7
	event_id        text        NOT NULL,
	kind            text        NOT NULL,
	user_id         text        NOT NULL DEFAULT '',
	recipient       text        NOT NULL,
	status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
	attempts        integer     NOT NULL DEFAULT 0,
	last_error      text        NOT NULL DEFAULT '',
	next_attempt_at timestamptz,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL,
	sent_at         timestamptz,
	data            jsonb       NOT NULL DEFAULT '{}',
	sealed_link     bytea,
	PRIMARY KEY (realm_name, id),
	CONSTRAINT deliveries_event_kind_key UNIQUE (realm_name, event_id, kind)
);

-- The admin API lists newest first, optionally by status or user.
CREATE INDEX deliveries_realm_created ON deliveries (realm_name, created_at DESC, id DESC);
CREATE INDEX deliveries_realm_user ON deliveries (realm_name, user_id, created_at DESC);

-- sqlcheck:global delivery_queue
-- The worker's queue: one row per pending delivery, of every realm, due at
-- due_at (a claimed one is leased until then). Workers of every realm claim
-- from it with FOR UPDATE SKIP LOCKED, which is why it is global; it holds
-- no more than a pointer to the realm-scoped delivery.
CREATE TABLE delivery_queue (
	realm_name  text        NOT NULL,
	delivery_id text        NOT NULL,
	due_at      timestamptz NOT NULL,
	PRIMARY KEY (realm_name, delivery_id)
);

CREATE INDEX delivery_queue_due ON delivery_queue (due_at);

-- Failed sign-ins of a user in the current alert window.
CREATE TABLE login_failures (
	realm_name   text        NOT NULL,
	user_id      text        NOT NULL,
	window_start timestamptz,
	failures     integer     NOT NULL DEFAULT 0,
	alerted      boolean     NOT NULL DEFAULT false,
	PRIMARY KEY (realm_name, user_id)
);

-- A realm's template overrides, per kind and locale.
CREATE TABLE templates (
	realm_name text        NOT NULL,
	kind       text        NOT NULL,
	locale     text        NOT NULL,
	subject    text        NOT NULL,
	html       text        NOT NULL,
	text_body  text        NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (realm_name, kind, locale)
);

---- create above / drop below ----

DROP TABLE templates;
DROP TABLE login_failures;
DROP TABLE delivery_queue;
DROP TABLE deliveries;
