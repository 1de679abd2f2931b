package gateway

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// RealmGetter reads a realm: *realms.Service, or realmshttp's Client over
// realm-service's internal API.
type RealmGetter interface {
	Get(ctx context.Context, realm iam.Realm) (realms.Realm, error)
}

// WebOriginLister lists the web origins of a realm's enabled clients, "+"
// resolved: *clients.Service, or clientshttp's Client over client-service's
// internal API.
type WebOriginLister interface {
	WebOrigins(ctx context.Context, realm iam.Realm) ([]string, error)
}

// ServiceOrigins returns the OriginSource over the realms and clients
// services: a realm's corsOrigins and its clients' webOrigins. A realm that
// does not exist has none.
func ServiceOrigins(rs RealmGetter, cs WebOriginLister) OriginSource {
	return OriginsFunc(func(ctx context.Context, realm iam.Realm) ([]string, error) {
		r, err := rs.Get(ctx, realm)
		if iam.ErrorCode(err) == iam.CodeNotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		web, err := cs.WebOrigins(ctx, realm)
		if err != nil && iam.ErrorCode(err) != iam.CodeNotFound {
			return nil, err
		}
		return append(append([]string{}, r.CORSOrigins...), web...), nil
	})
}
