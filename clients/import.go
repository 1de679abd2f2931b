package clients

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// MaxImportClients is the largest number of clients one Import accepts.
const MaxImportClients = 10_000

// MaskedSecret is the value Keycloak shows in place of a secret (its
// partial export): an imported client with it has no secret given.
const MaskedSecret = "**********"

// ImportClient is one client of an Import and its secret: "" (or
// MaskedSecret) for none given.
type ImportClient struct {
	Client Client
	Secret string
}

// ImportOutcome is what Import did with one client.
type ImportOutcome struct {
	Action iam.ImportAction
	Client Client // as stored (for ImportSkipped: the existing client)
}

// ImportResult counts what Import did, with one outcome per client in the
// order given.
type ImportResult struct {
	Added, Skipped, Overwritten int
	Outcomes                    []ImportOutcome
	// WeakSecrets are the clientIds of the clients whose imported secret
	// is shorter than MinSecretLength: kept, since Keycloak took them and
	// applications use them, and named so that they are rotated.
	WeakSecrets []string
	// Defaults are the realm's default clients (Defaults) the import did
	// not bring, made sure of first: what else its roles may name.
	Defaults []Client
}

// Import brings clients into realm, all or nothing (Store.Atomically), as
// Keycloak's partialImport does, after making sure of the realm's default
// clients (Defaults) that list does not hold. A client whose clientId exists is handled
// by mode: ImportFail fails the import (CodeConflict), ImportSkip leaves it
// alone, ImportOverwrite replaces its settings and Extra, keeping its id.
// An added client keeps the id it comes with (a lowercase UUID) or gets
// one. Secrets: a confidential client takes the secret it comes with —
// shorter than MinSecretLength too (listed in WeakSecrets) — else keeps the
// secret of the client it overwrites, else gets a generated one; a public
// client has none. client.created and client.updated are recorded with the
// change. Errors, on which nothing is imported: CodeInvalid naming the
// item ("clients[2].redirectUris") or a clientId given twice, CodeConflict
// (FAIL, or an id another client has), CodeForbidden when the caller has
// less administrative power than the service account of a client it would
// overwrite (power.go).
func (s *Service) Import(ctx context.Context, realm iam.Realm, mode iam.ImportMode, list []ImportClient) (ImportResult, error) {
	const op = "clients.Import"
	if err := realm.Validate(); err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	mode, err := iam.ParseImportMode(string(mode))
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	if len(list) > MaxImportClients {
		return ImportResult{}, iam.Wrap(op, iam.Invalidf("clients", "at most %d clients per import", MaxImportClients))
	}
	items := make([]ImportClient, len(list))
	seen := map[string]int{}
	for i, it := range list {
		if items[i], err = s.importItem(realm, it); err != nil {
			return ImportResult{}, iam.Wrap(op, atClient(i, err))
		}
		if j, dup := seen[it.Client.ClientID]; dup {
			return ImportResult{}, iam.Wrap(op, iam.Invalidf(fmt.Sprintf("clients[%d].clientId", i),
				"clients[%d] has the clientId of clients[%d]", i, j))
		}
		seen[it.Client.ClientID] = i
	}
	// The rule of power.go reads rbac, outside the import's transaction:
	// the clients it would overwrite now are checked, and one that appears
	// meanwhile is a conflict rather than overwritten unchecked.
	checked := map[string]bool{}
	if mode == iam.ImportOverwrite {
		for _, it := range items {
			rec, err := s.store.GetByClientID(ctx, realm, it.Client.ClientID)
			if errors.Is(err, iam.ErrNotFound) {
				continue
			}
			if err != nil {
				return ImportResult{}, iam.Wrap(op, err)
			}
			if err := s.mayChange(ctx, realm, rec.Client.ID); err != nil {
				return ImportResult{}, iam.Wrap(op, err)
			}
			checked[rec.Client.ID] = true
		}
	}
	var res ImportResult
	err = s.store.Atomically(ctx, realm, func(st Store) error {
		// The realm's default clients first, in the import's transaction,
		// but those the import brings (which keep their ids): the
		// realm.created consumer then finds them there.
		res = ImportResult{Outcomes: make([]ImportOutcome, 0, len(items))}
		for _, d := range Defaults() {
			if _, own := seen[d.ClientID]; own {
				continue
			}
			rec, err := st.GetByClientID(ctx, realm, d.ClientID)
			if errors.Is(err, iam.ErrNotFound) {
				rec, err = s.create(ctx, st, realm, d, "")
				if errors.Is(err, iam.ErrConflict) { // the realm.created consumer's, just now
					rec, err = st.GetByClientID(ctx, realm, d.ClientID)
				}
			}
			if err != nil {
				return err
			}
			res.Defaults = append(res.Defaults, rec.Client)
		}
		for i, it := range items {
			o, err := s.importOne(ctx, st, realm, mode, it, checked)
			if err != nil {
				return atClient(i, err)
			}
			res.Outcomes = append(res.Outcomes, o)
			switch o.Action {
			case iam.ImportAdded:
				res.Added++
			case iam.ImportSkipped:
				res.Skipped++
			case iam.ImportOverwritten:
				res.Overwritten++
			}
			if o.Action != iam.ImportSkipped && it.Secret != "" && len(it.Secret) < MinSecretLength {
				res.WeakSecrets = append(res.WeakSecrets, o.Client.ClientID)
			}
		}
		return nil
	})
	s.cache.invalidateRealm(realm)
	if err != nil {
		return ImportResult{}, iam.Wrap(op, err)
	}
	slices.Sort(res.WeakSecrets)
	return res, nil
}

// importItem validates it for realm: the client's fields, its id and its
// secret (any length up to MaxSecretLength: Keycloak's are kept).
func (s *Service) importItem(realm iam.Realm, it ImportClient) (ImportClient, error) {
	c := it.Client.Clone()
	c.Realm = realm
	if c.ID != "" && !validID(c.ID) {
		return ImportClient{}, iam.Invalidf("id", "id must be a lowercase UUID")
	}
	if err := c.Validate(); err != nil {
		return ImportClient{}, err
	}
	secret := it.Secret
	if secret == MaskedSecret {
		secret = ""
	}
	switch {
	case c.PublicClient:
		secret = "" // Keycloak exports public clients with a secret too
	case secret != "" && (len(secret) > MaxSecretLength || hasControlOrSpace(secret)):
		return ImportClient{}, iam.Invalidf("secret", "secret must be at most %d characters without spaces", MaxSecretLength)
	}
	return ImportClient{Client: c, Secret: secret}, nil
}

// importOne adds it, or applies mode to the client with its clientId,
// inside the import's transaction.
func (s *Service) importOne(ctx context.Context, st Store, realm iam.Realm, mode iam.ImportMode, it ImportClient, checked map[string]bool) (ImportOutcome, error) {
	existing, err := st.GetByClientID(ctx, realm, it.Client.ClientID)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		c := it.Client
		if c.ID == "" {
			c.ID = iam.NewID()
		}
		secret := it.Secret
		if !c.PublicClient && secret == "" {
			secret = iamcrypto.RandomToken(SecretBytes)
		}
		c.CreatedAt = s.timestamp()
		c.UpdatedAt = c.CreatedAt
		rec := Record{Client: c}
		setSecret(&rec, secret)
		e, err := createdEvent(c)
		if err != nil {
			return ImportOutcome{}, err
		}
		if err := st.Create(ctx, rec, e); err != nil {
			return ImportOutcome{}, err
		}
		return ImportOutcome{Action: iam.ImportAdded, Client: c}, nil
	case err != nil:
		return ImportOutcome{}, err
	}
	switch mode {
	case iam.ImportSkip:
		return ImportOutcome{Action: iam.ImportSkipped, Client: existing.Client}, nil
	case iam.ImportOverwrite:
	default:
		return ImportOutcome{}, conflictClientID(it.Client.ClientID)
	}
	if s.roles != nil && iam.PrincipalFrom(ctx) != nil && !checked[existing.Client.ID] {
		return ImportOutcome{}, iam.Errorf(iam.CodeConflict, "client %q was created during the import: try again", it.Client.ClientID)
	}
	rec, err := st.Update(ctx, realm, existing.Client.ID, func(rec *Record) ([]iam.Event, error) {
		c := it.Client.Clone()
		c.ID, c.Realm, c.CreatedAt, c.UpdatedAt = rec.Client.ID, rec.Client.Realm, rec.Client.CreatedAt, s.timestamp()
		secret := it.Secret
		switch {
		case c.PublicClient:
			secret = ""
		case secret == "" && rec.Secret != "":
			secret = rec.Secret
		case secret == "":
			secret = iamcrypto.RandomToken(SecretBytes)
		}
		rotated := secret != rec.Secret && secret != ""
		rec.Client = c
		setSecret(rec, secret)
		e, err := updatedEvent(c, existing.Client.ClientID, rotated)
		if err != nil {
			return nil, err
		}
		return []iam.Event{e}, nil
	})
	if err != nil {
		return ImportOutcome{}, err
	}
	return ImportOutcome{Action: iam.ImportOverwritten, Client: rec.Client}, nil
}

// conflictClientID is the error of a clientId that exists.
func conflictClientID(clientID string) error {
	return iam.Duplicatef("clientId", "client %q already exists", clientID)
}

// atClient names clients[i] in a validation or conflict error
// ("clients[2].redirectUris").
func atClient(i int, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalid && e.Code != iam.CodeConflict {
		return err
	}
	c := *e
	c.Field = fmt.Sprintf("clients[%d]", i)
	if e.Field != "" {
		c.Field += "." + e.Field
	}
	c.Message = fmt.Sprintf("clients[%d]: %s", i, e.Message)
	return &c
}
