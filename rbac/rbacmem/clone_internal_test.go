package rbacmem

import (
	"reflect"
	"testing"
)

// Atomically swaps in a clone of a realm's data: a field of realmData that
// clone does not copy would be emptied by every import.
func TestCloneCopiesEveryField(t *testing.T) {
	const copied = 8 // clients, roles, children, mappings, groups, kids, members, memberOf
	if n := reflect.TypeOf(realmData{}).NumField(); n != copied {
		t.Fatalf("realmData has %d fields and clone copies %d: copy the new ones in clone, then update this count", n, copied)
	}
}
