package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// Lifetimes and limits of what the application keeps in memory.
const (
	pendingLifetime = 10 * time.Minute // an authorization request's
	sessionLifetime = 8 * time.Hour    // a signed-in session's
	maxPending      = 10000            // sign-ins in progress at once
	maxSessions     = 100000           // signed-in sessions at once
)

// errFull is returned when a limit above is reached.
var errFull = errors.New("the application keeps too many sign-ins or sessions")

// pendingLogin is an authorization request in progress.
type pendingLogin struct {
	state, nonce, verifier string
	expires                time.Time
}

// session is a signed-in browser.
type session struct {
	rawIDToken string // the id_token_hint of the sign-out
	subject    string
	name       string
	claims     []claim // the ID token's, sorted by name
	csrf       string  // the sign-out form's token
	expires    time.Time
}

// claim is one ID-token claim as shown.
type claim struct{ Name, Value string }

// store keeps the pending sign-ins and the sessions of this process (a
// restart signs everyone out; several replicas would share them in a
// database). Expired entries are removed as new ones are added.
type store struct {
	mu       sync.Mutex
	pending  map[string]pendingLogin // by state
	sessions map[string]*session     // by cookie value
}

func newStore() *store {
	return &store{pending: map[string]pendingLogin{}, sessions: map[string]*session{}}
}

// begin records p, valid for pendingLifetime; errFull at maxPending.
func (s *store) begin(p pendingLogin) error {
	now := time.Now()
	p.expires = now.Add(pendingLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.pending {
		if now.After(v.expires) {
			delete(s.pending, k)
		}
	}
	if len(s.pending) >= maxPending {
		return errFull
	}
	s.pending[p.state] = p
	return nil
}

// take removes and returns the unexpired pending sign-in of state: each
// is used once.
func (s *store) take(state string) (pendingLogin, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[state]
	delete(s.pending, state)
	if !ok || time.Now().After(p.expires) {
		return pendingLogin{}, false
	}
	return p, true
}

// start records a new session, valid for sessionLifetime, under a new
// random id it returns; errFull at maxSessions.
func (s *store) start(sess *session) (string, error) {
	now := time.Now()
	sess.expires = now.Add(sessionLifetime)
	id := random()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.sessions {
		if now.After(v.expires) {
			delete(s.sessions, k)
		}
	}
	if len(s.sessions) >= maxSessions {
		return "", errFull
	}
	s.sessions[id] = sess
	return id, nil
}

// session returns the unexpired session id, or nil.
func (s *store) session(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil || time.Now().After(sess.expires) {
		return nil
	}
	return sess
}

// end forgets session id.
func (s *store) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

// random returns 256 random bits, base64url-encoded.
func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
