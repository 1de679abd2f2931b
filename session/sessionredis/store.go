package sessionredis

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
	"github.com/opengate-iam/opengate/session"
)

// pendingTTL is how long a pending event is kept when nothing publishes it.
const pendingTTL = 7 * 24 * time.Hour

// scanBatch is how many index entries List and Stats read at a time.
const scanBatch = 200

// Store is a session.Store on Redis; the package doc gives its layout. The
// caller owns the client. A Store is safe for concurrent use.
type Store struct {
	client rueidis.Client
	prefix string
	now    func() time.Time

	create, touch, state, terminate, published *rueidis.Lua
}

var _ session.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts every key under prefix (default "opengate:"); tests use
// the prefix iamtest.Redis returns.
func WithPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// WithClock sets the clock the TTLs are computed from (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns a Store on client. Each command is bounded by its context's
// per-call budget (iam.WithCallTimeout), so a Redis that does not answer
// fails the call with CodeUnavailable instead of holding it.
func New(client rueidis.Client, opts ...Option) *Store {
	s := &Store{
		client:    iamredis.CallTimeouts(client),
		prefix:    "opengate:",
		now:       time.Now,
		create:    rueidis.NewLuaScript(createScript),
		touch:     rueidis.NewLuaScript(touchScript),
		state:     rueidis.NewLuaScriptReadOnly(stateScript),
		terminate: rueidis.NewLuaScript(terminateScript),
		published: rueidis.NewLuaScript(publishedScript),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// base is the prefix of realm's keys: {prefix}session:{realm}:.
func (s *Store) base(realm iam.Realm) string {
	return s.prefix + "session:{" + string(realm) + "}:"
}

func (s *Store) key(realm iam.Realm, kind, id string) string {
	return s.base(realm) + kind + ":" + id
}

func (s *Store) pendingRealms() string { return s.prefix + "session:pending-realms" }

func unixMS(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func (s *Store) nowMS() int64 { return s.now().UnixMilli() }

// sortedClients returns the client UUIDs of sess in order.
func sortedClients(sess session.Session) []string {
	uuids := make([]string, 0, len(sess.Clients))
	for uuid := range sess.Clients {
		uuids = append(uuids, uuid)
	}
	slices.Sort(uuids)
	return uuids
}

// Create records or joins a session; see session.Store.
func (s *Store) Create(ctx context.Context, in session.Session) (session.Session, error) {
	const op = "sessionredis.Create"
	now := s.now()
	if err := session.CheckCreate(in, now); err != nil {
		return session.Session{}, err
	}
	r := in.Realm
	keys := []string{s.key(r, "s", in.ID), s.key(r, "m", in.ID), s.key(r, "u", in.UserID),
		s.base(r) + "all", s.base(r) + "cl", s.base(r) + "cn"}
	args := []string{strconv.FormatInt(now.UnixMilli(), 10), in.ID, in.UserID, in.Username, in.IPAddress, in.UserAgent,
		unixMS(in.Started), unixMS(in.LastAccess), unixMS(in.IdleExpiresAt), unixMS(in.ExpiresAt)}
	for _, uuid := range sortedClients(in) {
		keys = append(keys, s.key(r, "c", uuid))
		args = append(args, uuid, in.Clients[uuid])
	}
	reply, err := s.create.Exec(ctx, s.client, keys, args).ToArray()
	if err != nil {
		return session.Session{}, iamredis.MapError(op, err)
	}
	code, err := reply[0].AsInt64()
	if err != nil {
		return session.Session{}, iamredis.MapError(op, err)
	}
	if code == 0 {
		return session.Session{}, &iam.Error{Code: iam.CodeConflict, Op: op, Message: "session " + in.ID + " has ended"}
	}
	return decode(op, r, in.ID, reply[1])
}

// decode turns a session HASH (HGETALL's reply) into a Session;
// CodeNotFound for an empty one.
func decode(op string, realm iam.Realm, id string, res rueidis.RedisMessage) (session.Session, error) {
	m, err := res.AsStrMap()
	if err != nil {
		return session.Session{}, iamredis.MapError(op, err)
	}
	return fromHash(op, realm, id, m)
}

func fromHash(op string, realm iam.Realm, id string, m map[string]string) (session.Session, error) {
	if len(m) == 0 {
		return session.Session{}, &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "session not found"}
	}
	sess := session.Session{ID: id, Realm: realm, UserID: m["u"], Username: m["n"], IPAddress: m["ip"], UserAgent: m["ua"]}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"st", &sess.Started}, {"la", &sess.LastAccess}, {"ie", &sess.IdleExpiresAt}, {"ex", &sess.ExpiresAt}} {
		n, err := strconv.ParseInt(m[f.name], 10, 64)
		if err != nil {
			return session.Session{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed session record", Err: err}
		}
		*f.dst = time.UnixMilli(n).UTC()
	}
	for k, v := range m {
		if uuid, ok := strings.CutPrefix(k, "c:"); ok {
			if sess.Clients == nil {
				sess.Clients = map[string]string{}
			}
			sess.Clients[uuid] = v
		}
	}
	return sess, nil
}

// Get returns an active session.
func (s *Store) Get(ctx context.Context, realm iam.Realm, id string) (session.Session, error) {
	const op = "sessionredis.Get"
	m, err := s.client.Do(ctx, s.client.B().Hgetall().Key(s.key(realm, "s", id)).Build()).AsStrMap()
	if err != nil {
		return session.Session{}, iamredis.MapError(op, err)
	}
	sess, err := fromHash(op, realm, id, m)
	if err == nil && !sess.Active(s.now()) {
		return session.Session{}, &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "session not found"}
	}
	return sess, err
}

// State returns what the store knows of id.
func (s *Store) State(ctx context.Context, realm iam.Realm, id string) (session.State, error) {
	n, err := s.state.Exec(ctx, s.client, []string{s.key(realm, "s", id), s.key(realm, "m", id)},
		[]string{strconv.FormatInt(s.nowMS(), 10)}).AsInt64()
	if err != nil {
		return session.Unknown, iamredis.MapError("sessionredis.State", err)
	}
	switch n {
	case 1:
		return session.Active, nil
	case 2:
		return session.Ended, nil
	}
	return session.Unknown, nil
}

// Touch records a use of an active session.
func (s *Store) Touch(ctx context.Context, realm iam.Realm, id string, at, idle time.Time) (session.Session, error) {
	const op = "sessionredis.Touch"
	res, err := s.touch.Exec(ctx, s.client, []string{s.key(realm, "s", id)},
		[]string{strconv.FormatInt(s.nowMS(), 10), unixMS(at), unixMS(idle)}).ToMessage()
	if err != nil {
		if rueidis.IsRedisNil(err) {
			return session.Session{}, &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "session not found"}
		}
		return session.Session{}, iamredis.MapError(op, err)
	}
	return decode(op, realm, id, res)
}

// Terminate ends an active session and records its event as pending.
func (s *Store) Terminate(ctx context.Context, realm iam.Realm, id string, event func(session.Session) (iam.Event, error)) (session.Session, error) {
	const op = "sessionredis.Terminate"
	sess, err := s.Get(ctx, realm, id)
	if err != nil {
		return session.Session{}, iam.Wrap(op, err)
	}
	e, err := event(sess.Clone())
	if err != nil {
		return session.Session{}, err
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return session.Session{}, iam.Wrap(op, err)
	}
	keys := []string{s.key(realm, "s", id), s.key(realm, "m", id), s.key(realm, "u", sess.UserID),
		s.base(realm) + "all", s.base(realm) + "pending", s.key(realm, "ev", id)}
	for _, uuid := range sortedClients(sess) {
		keys = append(keys, s.key(realm, "c", uuid))
	}
	n, err := s.terminate.Exec(ctx, s.client, keys, []string{strconv.FormatInt(s.nowMS(), 10), id, string(raw),
		strconv.FormatInt(pendingTTL.Milliseconds(), 10)}).AsInt64()
	if err != nil {
		return session.Session{}, iamredis.MapError(op, err)
	}
	if n == 0 { // ended meanwhile, by a concurrent termination or expiry
		return session.Session{}, &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "session not found"}
	}
	// After the event is pending, so the relay, which drops a realm from
	// the set before it looks at the realm's events, cannot miss it.
	if err := s.client.Do(ctx, s.client.B().Sadd().Key(s.pendingRealms()).Member(string(realm)).Build()).Error(); err != nil {
		return session.Session{}, iamredis.MapError(op, err)
	}
	return sess, nil
}

// Forbid records an unknown id as ended.
func (s *Store) Forbid(ctx context.Context, realm iam.Realm, id string, until time.Time) (bool, error) {
	const op = "sessionredis.Forbid"
	if err := realm.Validate(); err != nil {
		return false, err
	}
	ttl := until.Sub(s.now())
	if ttl <= 0 {
		return false, iam.Invalidf("until", "until must be in the future")
	}
	err := s.client.Do(ctx, s.client.B().Set().Key(s.key(realm, "m", id)).Value("e").Nx().
		PxMilliseconds(max(ttl.Milliseconds(), 1)).Build()).Error()
	if rueidis.IsRedisNil(err) {
		return false, nil
	}
	return err == nil, iamredis.MapError(op, err)
}

// Published forgets the pending event of session id.
func (s *Store) Published(ctx context.Context, realm iam.Realm, id string) error {
	return iamredis.MapError("sessionredis.Published", s.published.Exec(ctx, s.client,
		[]string{s.base(realm) + "pending", s.key(realm, "ev", id)}, []string{id}).Error())
}

// DeleteRealm deletes every key of realm.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm) error {
	const op = "sessionredis.DeleteRealm"
	if err := realm.Validate(); err != nil {
		return err
	}
	if err := iamredis.DeletePrefix(ctx, s.client, op, s.base(realm)); err != nil {
		return err
	}
	return iamredis.MapError(op, s.client.Do(ctx, s.client.B().Srem().Key(s.pendingRealms()).Member(string(realm)).Build()).Error())
}
