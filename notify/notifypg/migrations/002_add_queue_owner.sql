-- The owner of a claim: the instance name of the worker that leased the
-- queue row (NULL: not claimed, or claimed by a worker without a name).
-- A worker starting under a name releases that name's unexpired leases,
-- which only a dead predecessor of the same name can hold (names are
-- unique among live processes). Claim sets it, an update or a new claim
-- ends it.
ALTER TABLE delivery_queue ADD COLUMN owner text;

CREATE INDEX delivery_queue_owner ON delivery_queue (owner) WHERE owner IS NOT NULL;

---- create above / drop below ----

DROP INDEX delivery_queue_owner;
ALTER TABLE delivery_queue DROP COLUMN owner;
