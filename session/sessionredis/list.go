package sessionredis

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
	"github.com/opengate-iam/opengate/session"
)

// List returns the active sessions f selects, pruning the index it reads.
func (s *Store) List(ctx context.Context, realm iam.Realm, f session.Filter) ([]session.Session, error) {
	index := s.base(realm) + "all"
	switch {
	case f.UserID != "":
		index = s.key(realm, "u", f.UserID)
	case f.ClientUUID != "":
		index = s.key(realm, "c", f.ClientUUID)
	}
	var out []session.Session
	skip := f.First
	err := s.scan(ctx, realm, index, func(sess session.Session) bool {
		if _, ok := sess.Clients[f.ClientUUID]; f.ClientUUID != "" && !ok {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		out = append(out, sess)
		return f.Max <= 0 || len(out) < f.Max
	})
	return out, err
}

// scan calls fn with each active session of index, in index order, until
// fn returns false. It drops from the index the ids of sessions past their
// max lifespan and of those whose record is gone (expired idle or
// terminated).
func (s *Store) scan(ctx context.Context, realm iam.Realm, index string, fn func(session.Session) bool) error {
	const op = "sessionredis.List"
	now := s.now()
	nowMS := strconv.FormatInt(now.UnixMilli(), 10)
	if err := s.client.Do(ctx, s.client.B().Zremrangebyscore().Key(index).Min("-inf").Max("("+nowMS).Build()).Error(); err != nil {
		return iamredis.MapError(op, err)
	}
	var dead []string
	defer func() {
		if len(dead) > 0 { // best effort: the next read prunes what is left
			s.client.Do(context.WithoutCancel(ctx), s.client.B().Zrem().Key(index).Member(dead...).Build())
		}
	}()
	for start := int64(0); ; start += scanBatch {
		ids, err := s.client.Do(ctx, s.client.B().Zrange().Key(index).Min(strconv.FormatInt(start, 10)).
			Max(strconv.FormatInt(start+scanBatch-1, 10)).Build()).AsStrSlice()
		if err != nil {
			return iamredis.MapError(op, err)
		}
		cmds := make(rueidis.Commands, len(ids))
		for i, id := range ids {
			cmds[i] = s.client.B().Hgetall().Key(s.key(realm, "s", id)).Build()
		}
		for i, res := range s.client.DoMulti(ctx, cmds...) {
			m, err := res.AsStrMap()
			if err != nil {
				return iamredis.MapError(op, err)
			}
			if len(m) == 0 {
				dead = append(dead, ids[i])
				continue
			}
			sess, err := fromHash(op, realm, ids[i], m)
			if err != nil {
				return err
			}
			if !sess.Active(now) {
				dead = append(dead, ids[i])
				continue
			}
			if !fn(sess) {
				return nil
			}
		}
		if len(ids) < scanBatch {
			return nil
		}
	}
}

// Stats counts the active sessions per client.
func (s *Store) Stats(ctx context.Context, realm iam.Realm) ([]session.ClientStats, error) {
	const op = "sessionredis.Stats"
	cl, cn := s.base(realm)+"cl", s.base(realm)+"cn"
	nowMS := strconv.FormatInt(s.nowMS(), 10)
	gone, err := s.client.Do(ctx, s.client.B().Zrangebyscore().Key(cl).Min("-inf").Max("("+nowMS).Build()).AsStrSlice()
	if err != nil {
		return nil, iamredis.MapError(op, err)
	}
	if len(gone) > 0 {
		for _, res := range s.client.DoMulti(ctx, s.client.B().Zrem().Key(cl).Member(gone...).Build(),
			s.client.B().Hdel().Key(cn).Field(gone...).Build()) {
			if err := res.Error(); err != nil {
				return nil, iamredis.MapError(op, err)
			}
		}
	}
	names, err := s.client.Do(ctx, s.client.B().Hgetall().Key(cn).Build()).AsStrMap()
	if err != nil {
		return nil, iamredis.MapError(op, err)
	}
	uuids, err := s.client.Do(ctx, s.client.B().Zrange().Key(cl).Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil {
		return nil, iamredis.MapError(op, err)
	}
	var out []session.ClientStats
	for _, uuid := range uuids {
		n := 0
		if err := s.scan(ctx, realm, s.key(realm, "c", uuid), func(session.Session) bool { n++; return true }); err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, session.ClientStats{ClientUUID: uuid, ClientID: names[uuid], Active: n})
		}
	}
	slices.SortFunc(out, func(a, b session.ClientStats) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.ClientUUID, b.ClientUUID))
	})
	return out, nil
}

// pendingRef is one pending event: its realm, session and time.
type pendingRef struct {
	realm iam.Realm
	sid   string
	at    float64
}

// Pending returns pending events of every realm recorded before before,
// oldest first. A realm whose events are all published leaves the set of
// realms with pending events; it is taken out before its events are read,
// so a termination recorded meanwhile (which adds the realm after its event)
// is seen now or on the next call.
func (s *Store) Pending(ctx context.Context, before time.Time, limit int) ([]iam.Event, error) {
	const op = "sessionredis.Pending"
	realmNames, err := s.client.Do(ctx, s.client.B().Smembers().Key(s.pendingRealms()).Build()).AsStrSlice()
	if err != nil {
		return nil, iamredis.MapError(op, err)
	}
	slices.Sort(realmNames)
	var refs []pendingRef
	for _, name := range realmNames {
		realm := iam.Realm(name)
		key := s.base(realm) + "pending"
		// First out of the set, then read (the two keys may live on
		// different cluster nodes: one command after the other).
		if err := s.client.Do(ctx, s.client.B().Srem().Key(s.pendingRealms()).Member(name).Build()).Error(); err != nil {
			return nil, iamredis.MapError(op, err)
		}
		res := s.client.DoMulti(ctx,
			s.client.B().Zrangebyscore().Key(key).Min("-inf").Max("("+strconv.FormatInt(before.UnixMilli(), 10)).
				Withscores().Limit(0, int64(max(limit, 1))).Build(),
			s.client.B().Zcard().Key(key).Build())
		for _, r := range res {
			if err := r.Error(); err != nil {
				return nil, iamredis.MapError(op, err)
			}
		}
		scores, err := res[0].AsZScores()
		if err != nil {
			return nil, iamredis.MapError(op, err)
		}
		for _, z := range scores {
			refs = append(refs, pendingRef{realm, z.Member, z.Score})
		}
		if n, _ := res[1].AsInt64(); n > 0 {
			if err := s.client.Do(ctx, s.client.B().Sadd().Key(s.pendingRealms()).Member(name).Build()).Error(); err != nil {
				return nil, iamredis.MapError(op, err)
			}
		}
	}
	slices.SortStableFunc(refs, func(a, b pendingRef) int { return cmp.Compare(a.at, b.at) })
	if limit > 0 && len(refs) > limit {
		refs = refs[:limit]
	}
	out := make([]iam.Event, 0, len(refs))
	for _, ref := range refs {
		raw, err := s.client.Do(ctx, s.client.B().Get().Key(s.key(ref.realm, "ev", ref.sid)).Build()).ToString()
		if rueidis.IsRedisNil(err) { // kept past its TTL unpublished: nothing left to publish
			if err := s.Published(ctx, ref.realm, ref.sid); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, iamredis.MapError(op, err)
		}
		var e iam.Event
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed pending event", Err: err}
		}
		out = append(out, e)
	}
	return out, nil
}
