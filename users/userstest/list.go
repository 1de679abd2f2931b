package userstest

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

func testList(t *testing.T, h Harness) {
	s := h.Store
	add := func(username, email, first, last string, enabled, verified bool, attrs map[string][]string) {
		t.Helper()
		mustCreate(t, s, users.User{ID: iam.NewID(), Realm: "acme", Username: username, Email: email,
			FirstName: first, LastName: last, Enabled: enabled, EmailVerified: verified, Attributes: attrs,
			CreatedAt: ts, UpdatedAt: ts}, users.CreateOptions{})
	}
	add("alice", "alice@example.com", "Alice", "Anderson", true, true, map[string][]string{"dept": {"eng"}, "level": {"3"}})
	add("malice", "mal@example.com", "Mal", "Ice", true, false, map[string][]string{"dept": {"ops", "eng"}})
	add("bob", "bob@corp.io", "Bob", "Brown", false, false, map[string][]string{"dept": {"ops"}})
	add("carol", "carol@example.com", "Carol", "Alison", true, false, nil)
	add("a_b", "ab1@example.com", "X", "Y", true, false, nil)
	add("axb", "ab2@example.com", "X", "Y", true, false, nil)
	mustCreate(t, s, newUser("other", "alice"), users.CreateOptions{}) // never listed
	yes, no := true, false
	tests := []struct {
		name string
		f    users.Filter
		want []string
	}{
		{"NoFilterListsAllByUsername", users.Filter{}, []string{"a_b", "alice", "axb", "bob", "carol", "malice"}},
		{"SearchPrefixMatchesAnyField", users.Filter{Search: "al", SearchMode: users.MatchPrefix}, []string{"alice", "carol"}},
		{"SearchInfix", users.Filter{Search: "lic", SearchMode: users.MatchInfix}, []string{"alice", "malice"}},
		{"SearchInfixEmailDomain", users.Filter{Search: "corp", SearchMode: users.MatchInfix}, []string{"bob"}},
		{"SearchExact", users.Filter{Search: "alice", SearchMode: users.MatchExact}, []string{"alice"}},
		{"SearchExactLastNameIgnoresCase", users.Filter{Search: "brown", SearchMode: users.MatchExact}, []string{"bob"}},
		{"SearchEscapesUnderscore", users.Filter{Search: "a_b", SearchMode: users.MatchInfix}, []string{"a_b"}},
		{"SearchPrefixEscapesUnderscore", users.Filter{Search: "a_", SearchMode: users.MatchPrefix}, []string{"a_b"}},
		{"SearchPercentIsLiteral", users.Filter{Search: "%", SearchMode: users.MatchInfix}, []string{}},
		{"UsernameSubstring", users.Filter{Username: "lic"}, []string{"alice", "malice"}},
		{"UsernameExactSubstringFails", users.Filter{Username: "lic", Exact: true}, []string{}},
		{"UsernameExact", users.Filter{Username: "alice", Exact: true}, []string{"alice"}},
		{"EmailSubstring", users.Filter{Email: "example"}, []string{"a_b", "alice", "axb", "carol", "malice"}},
		{"EmailExact", users.Filter{Email: "bob@corp.io", Exact: true}, []string{"bob"}},
		{"FirstNameSubstringIgnoresCase", users.Filter{FirstName: "al"}, []string{"alice", "malice"}},
		{"LastNameExactIgnoresCase", users.Filter{LastName: "brown", Exact: true}, []string{"bob"}},
		{"Disabled", users.Filter{Enabled: &no}, []string{"bob"}},
		{"EmailVerified", users.Filter{EmailVerified: &yes}, []string{"alice"}},
		{"AttributeValue", users.Filter{Attributes: map[string]string{"dept": "eng"}}, []string{"alice", "malice"}},
		{"AttributesAllMatch", users.Filter{Attributes: map[string]string{"dept": "eng", "level": "3"}}, []string{"alice"}},
		{"AttributeValueIsExact", users.Filter{Attributes: map[string]string{"dept": "en"}}, []string{}},
		{"Combined", users.Filter{Search: "example", SearchMode: users.MatchInfix, Enabled: &yes,
			Attributes: map[string]string{"dept": "ops"}}, []string{"malice"}},
		{"Page", users.Filter{First: 1, Max: 2}, []string{"alice", "axb"}},
		{"PageBeyondEnd", users.Filter{First: 10, Max: 2}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f.Max == 0 {
				f.Max = 100
			}
			list, err := s.List(ctx(t), "acme", f)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, u := range list {
				got = append(got, u.Username)
				if u.Realm != "acme" {
					t.Fatalf("listed a user of realm %q", u.Realm)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("List = %v, want %v", got, tt.want)
			}
			if tt.f.First == 0 && tt.f.Max == 0 {
				n, err := s.Count(ctx(t), "acme", f)
				if err != nil || n != len(tt.want) {
					t.Fatalf("Count = %d, %v; want %d", n, err, len(tt.want))
				}
			}
		})
	}
	t.Run("CountIgnoresPaging", func(t *testing.T) {
		n, err := s.Count(ctx(t), "acme", users.Filter{First: 4, Max: 1})
		if err != nil || n != 6 {
			t.Fatalf("Count = %d, %v", n, err)
		}
	})
}
