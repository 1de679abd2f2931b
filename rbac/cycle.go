package rbac

import (
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// CyclePath returns the cycle that adding the edges parent→child (for each
// of children) would close in an acyclic graph whose edges next returns, as
// the ids parent, child, ..., parent; or nil when none would. Stores call it
// before adding composite edges. The search visits each role once.
func CyclePath(parent string, children []string, next func(id string) []string) []string {
	prev := map[string]string{} // visited id → the id it was reached from
	queue := make([]string, 0, len(children))
	for _, c := range children {
		if _, seen := prev[c]; seen {
			continue
		}
		prev[c] = parent
		queue = append(queue, c)
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if id == parent {
			return cyclePath(parent, prev)
		}
		for _, n := range next(id) {
			if _, seen := prev[n]; !seen {
				prev[n] = id
				queue = append(queue, n)
			}
		}
	}
	return nil
}

// cyclePath walks prev back from parent to itself.
func cyclePath(parent string, prev map[string]string) []string {
	path := []string{parent}
	for id := prev[parent]; id != parent; id = prev[id] {
		path = append(path, id)
	}
	path = append(path, parent)
	// path is parent, ..., child, parent read backwards: reverse it.
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// CycleError is the CodeInvalid error (field "composites") for a composite
// edge that would close a cycle; labels names the roles of the cycle, first
// and last the same (see Role.Label).
func CycleError(labels []string) error {
	if len(labels) < 2 {
		return iam.Invalidf("composites", "a role cannot contain itself")
	}
	return iam.Invalidf("composites", "role %q cannot contain %q: that would create the cycle %s",
		labels[0], labels[1], strings.Join(labels, " → "))
}
