package clientspg

import (
	"context"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientspg/internal/db"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// migrations holds the clients schema (tern format). It is constant data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names the clients migration version table
// ("schema_version_clients").
const MigrationName = "clients"

// Constraints whose violations name a field: clientIds and ids are unique
// per realm.
const (
	uniqueClientID = "clients_realm_client_id_key"
	primaryKey     = "clients_pkey"
)

// Migrate creates or updates the clients table (and iampg's outbox and
// processed_events) in pool's database. Safe to call from several processes
// at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// Store is the PostgreSQL clients.Store. It seals client secrets at rest
// with its sealer, bound to their realm and client id, and keeps their
// verifiers as HMACs under a subkey of the same deployment key (see
// MatchSecret). The caller owns the
// database handle; Store never closes it.
type Store struct {
	db     iampg.DB
	sealer *iamcrypto.Sealer
	mac    *iamcrypto.MAC // secret verifiers: sealer.MAC(macPurpose)
}

var _ clients.Store = (*Store)(nil)

// New returns a Store on db (a *pgxpool.Pool, or a transaction), whose
// database Migrate has prepared, sealing client secrets with sealer (the
// deployment key, OPENGATE_SECRET_KEY). A nil sealer is an error
// (CodeInvalid, field "sealer"). Each statement is bounded by its context's
// per-call budget (iampg.WithCallTimeouts).
func New(db iampg.DB, sealer *iamcrypto.Sealer) (*Store, error) {
	if err := iamcrypto.Required(sealer, "client secrets"); err != nil {
		return nil, iam.Wrap("clientspg.New", err)
	}
	return &Store{db: iampg.WithCallTimeouts(db), sealer: sealer, mac: sealer.MAC(macPurpose)}, nil
}

// additionalData binds a sealed secret to its client (the binding the
// clients service used before sealing moved here, so stored secrets open).
func additionalData(realm iam.Realm, id string) []byte {
	return []byte(string(realm) + "/" + id)
}

// tx runs fn in a transaction (a savepoint inside a caller's transaction)
// and writes the events fn returns to the outbox in it. Errors are mapped
// once, here.
func (s *Store) tx(ctx context.Context, op string, fn func(q *db.Queries) ([]iam.Event, error)) error {
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		events, err := fn(db.New(tx))
		if err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	return mapError(op, err)
}

// mapError maps database errors: a taken clientId or id is a conflict
// naming that field.
func mapError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "client not found"}
	}
	if iampg.SQLState(err) == "23505" {
		switch iampg.ConstraintName(err) {
		case uniqueClientID:
			return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "clientId", Message: "a client with this clientId already exists", Err: err}
		case primaryKey:
			return &iam.Error{Code: iam.CodeConflict, Op: op, Field: "id", Message: "a client with this id already exists", Err: err}
		}
	}
	return iampg.MapError(op, err)
}

// Create implements clients.Store.
func (s *Store) Create(ctx context.Context, rec clients.Record, events ...iam.Event) error {
	const op = "clientspg.Create"
	p, err := s.toParams(rec)
	if err != nil {
		return iam.Wrap(op, err)
	}
	return s.tx(ctx, op, func(q *db.Queries) ([]iam.Event, error) {
		return events, q.CreateClient(ctx, p)
	})
}

// CreateIfAbsent implements clients.Store with one statement: the clients
// inserted unless their clientId is taken (ON CONFLICT DO NOTHING), and the
// events of those it inserted written to the outbox. Being one statement it
// is atomic by itself and needs no savepoint inside a caller's transaction:
// within a consumer's batch a realm's default clients cost one round trip.
func (s *Store) CreateIfAbsent(ctx context.Context, cs ...clients.Creation) ([]bool, error) {
	const op = "clientspg.CreateIfAbsent"
	realm, err := clients.CreationRealm(cs)
	if err != nil || len(cs) == 0 {
		return make([]bool, len(cs)), iam.Wrap(op, err)
	}
	rows := make([]clientRow, len(cs))
	var events []iam.Event
	var owners []string
	for i, c := range cs {
		p, err := s.toParams(c.Record)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		rows[i] = newClientRow(p)
		events = append(events, c.Events...)
		for range c.Events {
			owners = append(owners, c.Record.Client.ID)
		}
	}
	raw, err := json.Marshal(rows)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	out, err := iampg.NewOutboxRows(ctx, events...)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	ids, err := db.New(s.db).CreateClientsIfAbsent(ctx, db.CreateClientsIfAbsentParams{
		Channel: iampg.OutboxChannel, RealmName: string(realm), Rows: raw,
		EventIds: out.EventIDs, Topics: out.Topics, Realms: out.Realms, Keys: out.Keys, Payloads: out.Payloads,
		Owners: owners,
	})
	if err != nil {
		return nil, mapError(op, err)
	}
	created := make([]bool, len(cs))
	for i, c := range cs {
		created[i] = slices.Contains(ids, c.Record.Client.ID)
	}
	return created, nil
}

// clientRow is a clients row as jsonb_populate_recordset reads it: JSON
// names are the columns; bytea is hex text, timestamps RFC 3339 with the
// microseconds PostgreSQL keeps (truncated, as pgx's binary encoding
// truncates them).
type clientRow struct {
	ID                        string          `json:"id"`
	ClientID                  string          `json:"client_id"`
	Name                      string          `json:"name"`
	Description               string          `json:"description"`
	Enabled                   bool            `json:"enabled"`
	PublicClient              bool            `json:"public_client"`
	BearerOnly                bool            `json:"bearer_only"`
	StandardFlowEnabled       bool            `json:"standard_flow_enabled"`
	DirectAccessGrantsEnabled bool            `json:"direct_access_grants_enabled"`
	ServiceAccountsEnabled    bool            `json:"service_accounts_enabled"`
	RedirectURIs              []string        `json:"redirect_uris"`
	WebOrigins                []string        `json:"web_origins"`
	RootURL                   string          `json:"root_url"`
	BaseURL                   string          `json:"base_url"`
	Attributes                json.RawMessage `json:"attributes"`
	DefaultClientScopes       []string        `json:"default_client_scopes"`
	OptionalClientScopes      []string        `json:"optional_client_scopes"`
	SecretHash                *string         `json:"secret_hash"`
	SealedSecret              *string         `json:"sealed_secret"`
	CreatedAt                 string          `json:"created_at"`
	UpdatedAt                 string          `json:"updated_at"`
	Extra                     json.RawMessage `json:"extra"`
	FullScopeAllowed          bool            `json:"full_scope_allowed"`
}

func newClientRow(p db.CreateClientParams) clientRow {
	return clientRow{
		ID: p.ID, ClientID: p.ClientID, Name: p.Name, Description: p.Description,
		Enabled: p.Enabled, PublicClient: p.PublicClient, BearerOnly: p.BearerOnly,
		StandardFlowEnabled: p.StandardFlowEnabled, DirectAccessGrantsEnabled: p.DirectAccessGrantsEnabled,
		ServiceAccountsEnabled: p.ServiceAccountsEnabled, RedirectURIs: p.RedirectUris, WebOrigins: p.WebOrigins,
		RootURL: p.RootUrl, BaseURL: p.BaseUrl, Attributes: p.Attributes,
		DefaultClientScopes: p.DefaultClientScopes, OptionalClientScopes: p.OptionalClientScopes,
		SecretHash: byteaText(p.SecretHash), SealedSecret: byteaText(p.SealedSecret),
		CreatedAt: timestampText(p.CreatedAt), UpdatedAt: timestampText(p.UpdatedAt), Extra: p.Extra,
		FullScopeAllowed: p.FullScopeAllowed,
	}
}

// byteaText is b in bytea's hex input format, nil (NULL) for nil.
func byteaText(b []byte) *string {
	if b == nil {
		return nil
	}
	t := `\x` + hex.EncodeToString(b)
	return &t
}

// timestampText is t in UTC to the microsecond.
func timestampText(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

// Get implements clients.Store.
func (s *Store) Get(ctx context.Context, realm iam.Realm, id string) (clients.Record, error) {
	row, err := db.New(s.db).GetClient(ctx, db.GetClientParams{RealmName: string(realm), ID: id})
	if err != nil {
		return clients.Record{}, mapError("clientspg.Get", err)
	}
	return s.recordFromRow(row)
}

// GetByClientID implements clients.Store.
func (s *Store) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (clients.Record, error) {
	row, err := db.New(s.db).GetClientByClientID(ctx, db.GetClientByClientIDParams{RealmName: string(realm), ClientID: clientID})
	if err != nil {
		return clients.Record{}, mapError("clientspg.GetByClientID", err)
	}
	return s.recordFromRow(row)
}

// List implements clients.Store.
func (s *Store) List(ctx context.Context, realm iam.Realm, f clients.Filter) ([]clients.Client, error) {
	const op = "clientspg.List"
	first, max := clamp(f.First), clamp(f.Max)
	if f.Max <= 0 {
		max = math.MaxInt32
	}
	q := db.New(s.db)
	var rows []db.Client
	var err error
	switch {
	case f.ClientID == "":
		rows, err = q.ListClients(ctx, db.ListClientsParams{RealmName: string(realm), First: first, Max: max})
	case f.Search:
		rows, err = q.SearchClients(ctx, db.SearchClientsParams{RealmName: string(realm), Search: f.ClientID, First: first, Max: max})
	default:
		rows, err = q.ListClientsByClientID(ctx, db.ListClientsByClientIDParams{RealmName: string(realm), ClientID: f.ClientID, First: first, Max: max})
	}
	if err != nil {
		return nil, mapError(op, err)
	}
	out := make([]clients.Client, 0, len(rows))
	for _, row := range rows {
		c, err := clientFromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// clamp bounds n to int32 for the query parameters.
func clamp(n int) int32 {
	switch {
	case n < 0:
		return 0
	case n > math.MaxInt32:
		return math.MaxInt32
	}
	return int32(n)
}

// Update implements clients.Store: the row is locked (SELECT ... FOR
// UPDATE) while fn runs.
func (s *Store) Update(ctx context.Context, realm iam.Realm, id string, fn func(*clients.Record) ([]iam.Event, error)) (clients.Record, error) {
	const op = "clientspg.Update"
	var out clients.Record
	err := s.tx(ctx, op, func(q *db.Queries) ([]iam.Event, error) {
		row, err := q.LockClient(ctx, db.LockClientParams{RealmName: string(realm), ID: id})
		if err != nil {
			return nil, err
		}
		cur, err := s.recordFromRow(row)
		if err != nil {
			return nil, err
		}
		next := cur
		next.Client = cur.Client.Clone()
		events, err := fn(&next)
		if err != nil {
			return nil, err
		}
		next.Client.ID, next.Client.Realm, next.Client.CreatedAt = cur.Client.ID, cur.Client.Realm, cur.Client.CreatedAt
		p, err := s.toParams(next)
		if err != nil {
			return nil, err
		}
		if _, err := q.UpdateClient(ctx, updateParams(p)); err != nil {
			return nil, err
		}
		next.SecretHash = p.SecretHash
		out = next
		return events, nil
	})
	if err != nil {
		return clients.Record{}, err
	}
	return out, nil
}

// Delete implements clients.Store.
func (s *Store) Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	return s.tx(ctx, "clientspg.Delete", func(q *db.Queries) ([]iam.Event, error) {
		n, err := q.DeleteClient(ctx, db.DeleteClientParams{RealmName: string(realm), ID: id})
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, pgx.ErrNoRows
		}
		return events, nil
	})
}

// DeleteRealm implements clients.Store.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm) (int, error) {
	n, err := db.New(s.db).DeleteRealmClients(ctx, string(realm))
	if err != nil {
		return 0, mapError("clientspg.DeleteRealm", err)
	}
	return int(n), nil
}

// Atomically implements clients.Store: fn's Store works in one
// transaction (a savepoint inside a caller's), committed when fn returns
// nil.
func (s *Store) Atomically(ctx context.Context, _ iam.Realm, fn func(clients.Store) error) error {
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		return fn(&Store{db: tx, sealer: s.sealer, mac: s.mac})
	})
	return mapError("clientspg.Atomically", err)
}

// Once implements clients.Store with iampg.HandleOnce: fn's store works in
// the transaction that records the event in processed_events, so the
// effect, its outbox events and the record commit together. eventID must be
// a UUID (CodeInvalid otherwise).
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(clients.Store) error) error {
	return iampg.HandleOnce(ctx, s.db, consumer, iam.Event{ID: eventID}, func(tx pgx.Tx) error {
		return fn(&Store{db: tx, sealer: s.sealer, mac: s.mac})
	})
}

// toParams converts a record for insertion, sealing its secret.
func (s *Store) toParams(rec clients.Record) (db.CreateClientParams, error) {
	c := rec.Client
	var sealed []byte
	if rec.Secret != "" {
		var err error
		if sealed, err = s.sealer.Seal([]byte(rec.Secret), additionalData(c.Realm, c.ID)); err != nil {
			return db.CreateClientParams{}, err
		}
	}
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return db.CreateClientParams{}, err
	}
	extra, err := iampg.ExtraJSON("clientspg.params", c.Extra)
	if err != nil {
		return db.CreateClientParams{}, err
	}
	return db.CreateClientParams{
		RealmName:                 string(c.Realm),
		ID:                        c.ID,
		ClientID:                  c.ClientID,
		Name:                      c.Name,
		Description:               c.Description,
		Enabled:                   c.Enabled,
		PublicClient:              c.PublicClient,
		BearerOnly:                c.BearerOnly,
		StandardFlowEnabled:       c.StandardFlowEnabled,
		DirectAccessGrantsEnabled: c.DirectAccessGrantsEnabled,
		ServiceAccountsEnabled:    c.ServiceAccountsEnabled,
		RedirectUris:              nonNil(c.RedirectURIs),
		WebOrigins:                nonNil(c.WebOrigins),
		RootUrl:                   c.RootURL,
		BaseUrl:                   c.BaseURL,
		Attributes:                raw,
		Extra:                     extra,
		FullScopeAllowed:          c.FullScopeAllowed(),
		DefaultClientScopes:       nonNil(c.DefaultClientScopes),
		OptionalClientScopes:      nonNil(c.OptionalClientScopes),
		SecretHash:                s.verifier(c.Realm, c.ID, rec.Secret),
		SealedSecret:              sealed,
		CreatedAt:                 c.CreatedAt,
		UpdatedAt:                 c.UpdatedAt,
	}, nil
}

func updateParams(p db.CreateClientParams) db.UpdateClientParams {
	return db.UpdateClientParams{
		RealmName:                 p.RealmName,
		ID:                        p.ID,
		ClientID:                  p.ClientID,
		Name:                      p.Name,
		Description:               p.Description,
		Enabled:                   p.Enabled,
		PublicClient:              p.PublicClient,
		BearerOnly:                p.BearerOnly,
		StandardFlowEnabled:       p.StandardFlowEnabled,
		DirectAccessGrantsEnabled: p.DirectAccessGrantsEnabled,
		ServiceAccountsEnabled:    p.ServiceAccountsEnabled,
		RedirectUris:              p.RedirectUris,
		WebOrigins:                p.WebOrigins,
		RootUrl:                   p.RootUrl,
		BaseUrl:                   p.BaseUrl,
		Attributes:                p.Attributes,
		Extra:                     p.Extra,
		FullScopeAllowed:          p.FullScopeAllowed,
		DefaultClientScopes:       p.DefaultClientScopes,
		OptionalClientScopes:      p.OptionalClientScopes,
		SecretHash:                p.SecretHash,
		SealedSecret:              p.SealedSecret,
		UpdatedAt:                 p.UpdatedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// recordFromRow converts a stored row, opening its secret. A secret that
// does not open (another deployment key, a row moved to another client) is
// CodeInternal.
func (s *Store) recordFromRow(row db.Client) (clients.Record, error) {
	c, err := clientFromRow(row)
	if err != nil {
		return clients.Record{}, err
	}
	rec := clients.Record{Client: c, SecretHash: row.SecretHash}
	if len(row.SealedSecret) > 0 {
		plain, err := s.sealer.Open(row.SealedSecret, additionalData(c.Realm, c.ID))
		if err != nil {
			return clients.Record{}, iam.Wrap("clientspg.recordFromRow", err)
		}
		rec.Secret = string(plain)
	}
	return rec, nil
}

// clientFromRow converts a stored row without its secret.
func clientFromRow(row db.Client) (clients.Client, error) {
	var attrs map[string]string
	if err := json.Unmarshal(row.Attributes, &attrs); err != nil {
		return clients.Client{}, &iam.Error{Code: iam.CodeInternal, Op: "clientspg.clientFromRow", Message: "stored client is malformed", Err: err}
	}
	extra, err := iampg.ParseExtra("clientspg.clientFromRow", row.Extra)
	if err != nil {
		return clients.Client{}, err
	}
	return clients.Client{
		Extra:                     extra,
		ID:                        row.ID,
		Realm:                     iam.Realm(row.RealmName),
		ClientID:                  row.ClientID,
		Name:                      row.Name,
		Description:               row.Description,
		Enabled:                   row.Enabled,
		PublicClient:              row.PublicClient,
		BearerOnly:                row.BearerOnly,
		StandardFlowEnabled:       row.StandardFlowEnabled,
		DirectAccessGrantsEnabled: row.DirectAccessGrantsEnabled,
		ServiceAccountsEnabled:    row.ServiceAccountsEnabled,
		FullScopeDisabled:         !row.FullScopeAllowed,
		RedirectURIs:              row.RedirectUris,
		WebOrigins:                row.WebOrigins,
		RootURL:                   row.RootUrl,
		BaseURL:                   row.BaseUrl,
		Attributes:                attrs,
		DefaultClientScopes:       row.DefaultClientScopes,
		OptionalClientScopes:      row.OptionalClientScopes,
		CreatedAt:                 row.CreatedAt.UTC(),
		UpdatedAt:                 row.UpdatedAt.UTC(),
	}, nil
}
