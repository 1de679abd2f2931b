package auth

import (
	"sync"

	"github.com/opengate-iam/opengate/iam"
)

// realmLocks hands out one mutex per realm, so that work on one realm's keys
// (reading, decrypting, activating) never waits for another realm's. A
// realm's entry lives only while someone holds or waits for it: the map
// holds the realms being worked on, not every realm ever seen.
type realmLocks struct {
	mu    sync.Mutex
	locks map[iam.Realm]*realmLock
}

type realmLock struct {
	sync.Mutex
	users int // holders and waiters
}

// lock locks realm's mutex and returns the function that unlocks it.
func (l *realmLocks) lock(realm iam.Realm) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[iam.Realm]*realmLock{}
	}
	rl := l.locks[realm]
	if rl == nil {
		rl = &realmLock{}
		l.locks[realm] = rl
	}
	rl.users++
	l.mu.Unlock()

	rl.Lock()
	return func() {
		rl.Unlock()
		l.mu.Lock()
		if rl.users--; rl.users == 0 {
			delete(l.locks, realm)
		}
		l.mu.Unlock()
	}
}
